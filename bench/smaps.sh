#!/usr/bin/env bash
# What a process's resident memory is made of, from /proc/PID/smaps: Rss, Pss and Anonymous (KiB summed, shown in
# MiB) by kind of mapping, then the largest file mappings. `bench/smaps.sh PID [TOP]` (root to read another user's).
#   flat r--s       shared read-only file mappings (the runtime's flat view of each assembly)
#   file            other file mappings: native libraries' and assemblies' code and data
#   memfd           /memfd:doublemapper, the runtime's stubs and JIT code when W^X is on
#   heap            glibc's [heap]
#   anon, stack     other anonymous memory (GC heap, malloc arenas, thread stacks)
set -euo pipefail
pid=${1:?usage: bench/smaps.sh PID [TOP]}
top=${2:-12}
[ -r "/proc/$pid/smaps" ] || { echo "smaps.sh: cannot read /proc/$pid/smaps" >&2; exit 1; }
awk -v top="$top" '
  function kind(perms, path) {
    if (path ~ /^\/memfd:/) return "memfd"
    if (path == "[heap]") return "heap"
    if (path ~ /^\[stack/) return "stack"
    if (path ~ /^\//) return (perms ~ /s$/ ? "flat r--s" : "file")
    return "anon"
  }
  /^[0-9a-f]+-[0-9a-f]+ / {
    perms = $2; path = ""
    for (i = 6; i <= NF; i++) path = path (i > 6 ? " " : "") $i
    k = kind(perms, path); next
  }
  $1 == "Rss:" { rss[k] += $2; total_rss += $2; if (k == "file" || k == "flat r--s") byfile[path] += $2 }
  $1 == "Pss:" { pss[k] += $2; total_pss += $2 }
  $1 == "Anonymous:" { anon[k] += $2; total_anon += $2 }
  END {
    printf "%-12s %9s %9s %9s\n", "kind", "Rss MiB", "Pss MiB", "Anon MiB"
    n = split("flat r--s,file,memfd,heap,anon,stack", order, ",")
    for (i = 1; i <= n; i++) { k = order[i]; printf "%-12s %9.1f %9.1f %9.1f\n", k, rss[k] / 1024, pss[k] / 1024, anon[k] / 1024 }
    printf "%-12s %9.1f %9.1f %9.1f\n", "total", total_rss / 1024, total_pss / 1024, total_anon / 1024
    if (top > 0) {
      print "largest files (Rss MiB):"
      cmd = "sort -rn | head -" top
      for (f in byfile) if (byfile[f] > 0) printf "%9.1f  %s\n", byfile[f] / 1024, f | cmd
      close(cmd)
    }
  }' "/proc/$pid/smaps"
