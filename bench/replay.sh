#!/usr/bin/env bash
# Replay throughput: `godo replay` next to Debian's laurel and ausearch in the same run, on the docker-basic log
# repeated 20 and 100 times (bench/make-corpus.py: serials and times shifted, so each copy follows the last).
# Each tool reads the corpus on stdin; best wall time of RUNS runs (start-up included), records/s, peak RSS and CPU
# (user+sys) of the best run. Prints godo's ratio to laurel and ausearch per corpus, then one summary table. On a loaded
# machine wall times say little (godo needs both cores at once, laurel one): compare the CPU columns there.
# After each corpus, one more godo run prints its timeline (GODO_REPLAY_TIMING=1: Main, actor system, first record
# routed, ..., tree written). About 2.5 minutes on a quiet 2-core machine (laurel's 100x runs are most of it; AB=1 adds a quarter minute).
# Env: COPIES (default "20 100"), RUNS (default 3), WORK (default /tmp/godo-bench; the corpora are kept there),
# godo's rows are what the launcher runs: the native replay (Native AOT) when it was built; one more row times the
# managed replay (GODO_REPLAY_NATIVE=0) in the same run.
# AB=1 also times godo with GODO_REPLAY_OVERLAP=0 (start-up not overlapped with the work) and with GODO_REPLAY_WARMUP=0
# (the per-record code not compiled beside the actor system's start) in the same run.
# GODO_B=PATH also times another build's launcher (e.g. a main checkout's ./godo) in the same run, its runs alternated
# with this build's, so two builds compare under the same load.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
copies="${COPIES:-20 100}"
runs="${RUNS:-3}"
work="${WORK:-/tmp/godo-bench}"
mkdir -p "$work"
src=tests/Godo.Agent.Tests/Data/corpus/docker-basic/audit.log
for tool in laurel ausearch; do command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install laurel auditd)" >&2; exit 2; }; done
./godo --help >/dev/null   # build first, so the build is not timed
if [ -n "${GODO_B:-}" ]; then "$GODO_B" --help >/dev/null; fi

# laurel writes its JSON log into a directory of its own; run it unprivileged-style with a private config.
cat > "$work/laurel.toml" <<TOML
directory = "$work/laurel"
statusreport-period = 0
[auditlog]
file = "laurel.log"
size = 1000000000
generations = 2
[transform]
execve-argv = [ "array" ]
[enrich]
pid = true
container = true
script = false
TOML
mkdir -p "$work/laurel"

# measure NAME CORPUS COMMAND...: best of $runs; leaves "secs rss_mib cpu_secs" in $work/NAME.res
measure() {
  local name=$1 corpus=$2; shift 2
  local best=999999 rss=0 cpu=0
  for _ in $(seq 1 "$runs"); do
    rm -rf "$work/laurel"/*
    /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" < "$corpus" > /dev/null 2> "$work/$name.err" \
      || { echo "bench: $name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
    read -r secs kb user sys < "$work/time.txt"
    if awk "BEGIN{exit !($secs < $best)}"; then best=$secs; cpu=$(awk "BEGIN{print $user + $sys}"); fi
    if [ "$kb" -gt "$rss" ]; then rss=$kb; fi
  done
  echo "$best $((rss / 1024)) $cpu" > "$work/$name.res"
}

summary="$work/replay-summary.txt"
: > "$summary"
for n in $copies; do
  corpus="$work/corpus-${n}x.log"
  if [ ! -f "$corpus" ] || [ "$src" -nt "$corpus" ]; then
    echo "building the ${n}x corpus..." >&2
    python3 bench/make-corpus.py "$src" "$n" "$corpus"
  fi
  records=$(wc -l < "$corpus")
  mib=$(( $(stat -c %s "$corpus") / 1048576 ))
  echo "== ${n}x corpus: $records records, $mib MiB; best of $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg) =="
  if [ -n "${GODO_B:-}" ]; then
    # Alternated run by run: this build, then the other, so a change in load hits both alike.
    saved=$runs; runs=1
    for r in $(seq 1 "$saved"); do
      measure "godo.$r" "$corpus" ./godo replay - -q --json
      measure "godo-b.$r" "$corpus" "$GODO_B" replay - -q --json
    done
    runs=$saved
    for who in godo godo-b; do
      cat "$work/$who".*.res | sort -n | head -1 | { read -r s r c; echo "$s $(cat "$work/$who".*.res | awk '{print $2}' | sort -n | tail -1) $c"; } > "$work/$who.res"
      rm -f "$work/$who".*.res
    done
    read -r s srss scpu < "$work/godo-b.res"
    printf "%-9s %7.2f s  %6.2f M records/s  peak RSS %4d MiB  CPU %6.2f s  (GODO_B=%s)\n" godo-b "$s" "$(awk "BEGIN{print $records / $s / 1e6}")" "$srss" "$scpu" "$GODO_B"
  else
    measure godo "$corpus" ./godo replay - -q --json
  fi
  if [ -x .build/bin/godo-replay ]; then
    # The launcher runs the native replay (src/Godo.Cli.Replay); the managed one beside it, same run.
    measure godo-managed "$corpus" env GODO_REPLAY_NATIVE=0 ./godo replay - -q --json
    read -r s srss scpu < "$work/godo-managed.res"
    printf "%-9s %7.2f s  %6.2f M records/s  peak RSS %4d MiB  CPU %6.2f s  (managed: GODO_REPLAY_NATIVE=0)\n" godo "$s" "$(awk "BEGIN{print $records / $s / 1e6}")" "$srss" "$scpu"
  else
    echo "(no native replay was built: see .build/build-native.log; godo's rows are the managed replay)"
  fi
  if [ "${AB:-0}" = 1 ]; then
    measure godo-serial "$corpus" env GODO_REPLAY_OVERLAP=0 ./godo replay - -q --json
    read -r s srss scpu < "$work/godo-serial.res"
    printf "%-9s %7.2f s  %6.2f M records/s  peak RSS %4d MiB  CPU %6.2f s  (GODO_REPLAY_OVERLAP=0)\n" godo "$s" "$(awk "BEGIN{print $records / $s / 1e6}")" "$srss" "$scpu"
    measure godo-nowarm "$corpus" env GODO_REPLAY_WARMUP=0 ./godo replay - -q --json
    read -r s srss scpu < "$work/godo-nowarm.res"
    printf "%-9s %7.2f s  %6.2f M records/s  peak RSS %4d MiB  CPU %6.2f s  (GODO_REPLAY_WARMUP=0)\n" godo "$s" "$(awk "BEGIN{print $records / $s / 1e6}")" "$srss" "$scpu"
  fi
  measure laurel "$corpus" laurel -c "$work/laurel.toml"
  measure ausearch "$corpus" ausearch --raw -if /dev/stdin
  read -r g grss gcpu < "$work/godo.res"; read -r l lrss lcpu < "$work/laurel.res"; read -r a arss acpu < "$work/ausearch.res"
  for t in "godo $g $grss $gcpu" "laurel $l $lrss $lcpu" "ausearch $a $arss $acpu"; do
    set -- $t
    printf "%-9s %7.2f s  %6.2f M records/s  peak RSS %4d MiB  CPU %6.2f s\n" "$1" "$2" "$(awk "BEGIN{print $records / $2 / 1e6}")" "$3" "$4"
  done
  line=$(printf "| %dx (%s records) | %.2f s (%.2f s CPU) | %.2f M/s | %d MiB | %.2f s (%.2f s CPU) | %.1fx | %.2f s (%.2f s CPU) | %.1fx |" \
    "$n" "$(printf "%'d" "$records")" "$g" "$gcpu" "$(awk "BEGIN{print $records / $g / 1e6}")" "$grss" \
    "$l" "$lcpu" "$(awk "BEGIN{print $l / $g}")" "$a" "$acpu" "$(awk "BEGIN{print $a / $g}")")
  echo "godo is $(awk "BEGIN{printf \"%.1f\", $l/$g}")x laurel and $(awk "BEGIN{printf \"%.1f\", $a/$g}")x ausearch"
  # One more godo run with its timeline (GODO_REPLAY_TIMING=1): where the wall time goes, start-up first.
  echo "godo's timeline (one more run; ms from the launcher's start; the process's CPU, the JIT's methods and time, bytes allocated, young collections and the GC's total pause by then):"
  GODO_REPLAY_TIMING=1 ./godo replay - -q --json < "$corpus" 2>&1 >/dev/null | sed -n 's/^ \{2,\}/    /p'
  echo "$line" >> "$summary"
done
echo
echo "== replay ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)) =="
echo "| corpus | godo replay (CPU) | godo records/s | godo peak RSS | laurel (CPU) | godo vs laurel | ausearch --raw -if (CPU) | godo vs ausearch |"
echo "|---|---|---|---|---|---|---|---|"
cat "$summary"
