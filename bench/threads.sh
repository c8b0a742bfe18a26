#!/usr/bin/env bash
# Where a process's time and wake-ups go, per thread: CPU (utime+stime) and context switches per second over a
# window, from /proc/PID/task/*. Wake-ups are the voluntary switches (a thread that sleeps N times a second switches
# N times voluntarily whatever else runs on the machine: a load-independent measure of a process at rest); the
# involuntary ones (preemptions, which grow with the machine's load) are shown apart.
# usage: bench/threads.sh PID [SECONDS (default 30)]
set -euo pipefail
pid=${1:?usage: bench/threads.sh PID [SECONDS]}
window=${2:-30}
[ -d "/proc/$pid" ] || { echo "bench/threads.sh: no process $pid" >&2; exit 2; }
clk=$(getconf CLK_TCK)
snap() { # tid name ticks switches, one line per thread
  local t
  for t in /proc/"$pid"/task/*; do
    { read -r stat <"$t/stat" && name=$(cat "$t/comm") \
      && sw=$(awk '/^voluntary_ctxt_switches/ {v = $2} /^nonvoluntary_ctxt_switches/ {n = $2} END {print v, n}' "$t/status"); } 2>/dev/null || continue
    stat=${stat##*) }
    set -- $stat
    echo "${t##*/} ${name// /_} $(( ${12} + ${13} )) $sw"
  done
}
before=$(snap)
sleep "$window"
after=$(snap)
# fields after join: tid name ticks vol invol name' ticks' vol' invol'
join <(sort <<<"$before") <(sort <<<"$after") | awk -v w="$window" -v c="$clk" '
  { cpu = ($7 - $3) / c / w * 100; v = ($8 - $4) / w; n = ($9 - $5) / w; tc += cpu; tv += v; tn += n
    if (cpu > 0 || v > 0 || n > 0) printf "%-8s %-24s %6.2f %% %8.1f wake-ups/s %8.1f preempted/s\n", $1, $2, cpu, v, n | "sort -k5 -g -r" }
  END { close("sort -k5 -g -r"); printf "%-33s %6.2f %% %8.1f wake-ups/s %8.1f preempted/s\n", "total", tc, tv, tn }'
