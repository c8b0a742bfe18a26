#!/usr/bin/env bash
# Where a process's time and wake-ups go, per thread: CPU (utime+stime) and context switches (voluntary +
# involuntary) per second over a window, from /proc/PID/task/*. A load-independent measure of a process at rest:
# a thread that wakes N times a second shows N switches a second whatever else runs on the machine.
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
      && sw=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$t/status"); } 2>/dev/null || continue
    stat=${stat##*) }
    set -- $stat
    echo "${t##*/} ${name// /_} $(( ${12} + ${13} )) $sw"
  done
}
before=$(snap)
sleep "$window"
after=$(snap)
join <(sort <<<"$before") <(sort <<<"$after") | awk -v w="$window" -v c="$clk" '
  { cpu = ($6 - $3) / c / w * 100; sw = ($7 - $4) / w; tc += cpu; ts += sw
    if (cpu > 0 || sw > 0) printf "%-8s %-24s %6.2f %% %8.1f wake-ups/s\n", $1, $2, cpu, sw }
  END { printf "%-33s %6.2f %% %8.1f wake-ups/s\n", "total", tc, ts }' | sort -k4 -n -r
