#!/usr/bin/env bash
# What godo costs at rest, side by side in one run (bench/agent-figures.sh calls it; it also runs alone):
#  1. CPU (% of one core, utime+stime from /proc/PID/stat over --seconds, default 60), wake-ups (context switches of
#     all its threads a second) and RSS (with its anonymous part), with Docker running and
#     20 idle containers: `godo aggregator` alone; then `godo agent` (netlink) connected to it with a second idle
#     agent (stdin source), all three measured over the same window, with the work the netlink agent had in it (the
#     host's own background: audit records, events, connector exits, deltas a second); `godo standalone`; Debian's
#     auditd with the agent's own rules.
#     Then which processes made the netlink agent's audit records in that setting (exe and comm of each syscall).
#  2. The agent's RSS with 100, 1,000 and 10,000 more sleeping processes on the host (bench/sleepers.c), each count
#     with a fresh agent that seeds them from /proc.
#     The agents and the standalone are measured over two windows in a row: the first, SETTLE (15) s after start-up, still
#     holds start-up's tail; the second ("steady") is what a long-running agent pays.
# About 11 minutes with the default 60 s window (6 windows, 15 s to settle before each, 5 fresh agents for part 2).
# GODO=PATH runs that godo binary (e.g. the packaged single file, .build/package/publish/godo) instead of ./godo.
# Root; Docker running; image godo/busybox:1. Every phase that touches the kernel's audit state holds
# /tmp/godo-audit.lock, and the state found at start is put back.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
. bench/auditd.sh
WINDOW=60
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) WINDOW="${2:?--seconds needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; echo "usage: bench/idle.sh [--seconds N]"; exit 0 ;;
    *) echo "bench/idle.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$WINDOW" =~ ^[1-9][0-9]*$ ]] || { echo "bench/idle.sh: --seconds must be a positive whole number" >&2; exit 2; }
LOCK=/tmp/godo-audit.lock
IMAGE=godo/busybox:1
CLK=$(getconf CLK_TCK)
SETTLE=${SETTLE:-15}
# Part 2 reads RSS once start-up's file pages are handed back (src/Godo.Cli/NativeHeap.cs trims 15 s after start,
# once the JIT has been quiet for 2 s: about 18-20 s after start).
RSS_SETTLE=${RSS_SETTLE:-25}
REMOTE_PORT=${REMOTE_PORT:-4391}
GODO=${GODO:-./godo}
work=$(mktemp -d /tmp/godo-idle.XXXXXX)
pids=() containers=() sleepers_pid="" auditd_pid=""

status() { auditctl -s | awk -v k="$1" '$1 == k {print $2}'; }
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime+stime (fields 14, 15)
# MiB, and how much of it is the process's own (anonymous) memory rather than mapped code shared through the page cache;
# PSS shares each page out among the processes that map it; shmem is the runtime's memfd (its stubs, with W^X).
rss() {
  awk '$1 == "Rss:" {t = $2} $1 == "Pss:" {p = $2} $1 == "Anonymous:" {a = $2} $1 == "Pss_Shmem:" {m = $2}
    END {printf "%.0f MiB (PSS %.0f, anon %.0f, memfd PSS %.0f)", t / 1024, p / 1024, a / 1024, m / 1024}' "/proc/$1/smaps_rollup"
}
# The netlink agent's own counters, as its aggregator holds them: audit records, events, connector exits, delta sequence.
netlink_counts() {
  curl -s "http://127.0.0.1:$((REMOTE_PORT + 1))/api/hosts" | python3 -c '
import json, sys
h = next((h for h in json.load(sys.stdin) if (h.get("stats") or {}).get("source") == "netlink"), None)
s = (h or {}).get("stats") or {}
print(s.get("records", 0), s.get("events", 0), s.get("procEvents", 0), (h or {}).get("sequence", 0))' 2>/dev/null \
    || echo "0 0 0 0"
}
# Context switches of all of PID's threads: how often it woke, whatever else loads the machine.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

found_enabled=$(status enabled) found_backlog=$(status backlog_limit) found_wait=$(status backlog_wait_time)
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
stop_sleepers() {
  [ -n "$sleepers_pid" ] || return 0
  kill -KILL -- "-$sleepers_pid" 2>/dev/null || true
  wait "$sleepers_pid" 2>/dev/null || true
  sleepers_pid=""
}
cleanup() {
  stop_all
  stop_sleepers
  auditd_stop
  auditctl -e "$found_enabled" -b "$found_backlog" --backlog_wait_time "$found_wait" >/dev/null 2>&1 || true
  [ ${#containers[@]} -eq 0 ] || docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts `./godo ARGS...` in the background, its output in $work/NAME.log; its pid in $started.
start() {
  local name=$1; shift
  "$GODO" "$@" >"$work/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}
# Waits until PID is the kernel's audit daemon and its rules are in.
registered() {
  for _ in $(seq 1 600); do [ "$(status pid)" = "$1" ] && auditctl -l | grep -q 'key=godo$' && return 0; sleep 0.1; done
  echo "pid $1 did not register with the kernel's audit" >&2; return 1
}
# at_rest NAME=PID...: CPU of each over the same $WINDOW seconds, and its RSS at the end.
at_rest() {
  local pair name pid
  declare -A before woke
  for pair in "$@"; do before[$pair]=$(ticks "${pair#*=}"); woke[$pair]=$(switches "${pair#*=}"); done
  sleep "$WINDOW"
  for pair in "$@"; do
    name=${pair%%=*} pid=${pair#*=}
    printf "  %-34s %5s %% of a core  %6s wake-ups/s  RSS %s\n" "$name" \
      "$(awk -v t=$(( $(ticks "$pid") - before[$pair] )) -v c="$CLK" -v w="$WINDOW" 'BEGIN {printf "%.2f", 100 * t / c / w}')" \
      "$(awk -v s=$(( $(switches "$pid") - woke[$pair] )) -v w="$WINDOW" 'BEGIN {printf "%.1f", s / w}')" \
      "$(rss "$pid")" | tee -a "$work/idle.txt"
  done
}

echo "building..." >&2
"$GODO" --help >/dev/null
gcc -O2 -static -o "$work/sleepers" bench/sleepers.c

for i in $(seq 1 20); do
  c="godoidle-$$-$i"
  docker run -d --network none --name "$c" "$IMAGE" sleep 1000000 >/dev/null
  containers+=("$c")
done

# ---- 1. at rest
start aggregator aggregator --remote-port "$REMOTE_PORT" --http "http://127.0.0.1:$((REMOTE_PORT + 1))"
aggregator=$started
sleep "$SETTLE"
echo "at rest over ${WINDOW} s, 20 idle containers:" | tee -a "$work/idle.txt"
at_rest "godo aggregator, no agent=$aggregator"

exec 9>"$LOCK"
flock 9
start agent agent --aggregator "akka.tcp://godo@127.0.0.1:$REMOTE_PORT"
agent=$started
registered "$agent"
auditctl -l | grep 'key=godo$' > "$work/godo-rules.txt"
# The second agent reads a pipe nobody writes to (held open here, read-write, so it never ends): an idle host.
mkfifo "$work/idle-in"
exec 8<>"$work/idle-in"
"$GODO" agent --source stdin --no-docker --host-name idle-stdin --aggregator "akka.tcp://godo@127.0.0.1:$REMOTE_PORT" \
  <"$work/idle-in" >"$work/agent2.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 300); do
  [ "$(curl -s "http://127.0.0.1:$((REMOTE_PORT + 1))/api/hosts" | grep -o '"status":"up"' | wc -l)" -ge 2 ] && break; sleep 0.2
done
agent2=${pids[-1]} # ./godo execs dotnet: the same pid
sleep "$SETTLE"
counts_before=$(netlink_counts)
at_rest "godo agent (netlink)=$agent" "godo agent (stdin, second)=$agent2" "godo aggregator, 2 idle agents=$aggregator"
counts_first=$(netlink_counts)
# The same three again in the next window: the first one begins $SETTLE s after start-up and still holds its tail
# (the start-up trim's checks at 30 s and 1 min, the first reconciliation, code run for the first time at rest); an
# agent that runs for months pays the second one.
echo "  the same, the next ${WINDOW} s (steady):" | tee -a "$work/idle.txt"
at_rest "godo agent (netlink), steady=$agent" "godo agent (stdin, second), steady=$agent2" "godo aggregator, 2 agents, steady=$aggregator"
# "At rest" is the host's own background (dockerd, containerd, timers, this script): what the agent had to handle.
read -r r0 e0 p0 s0 <<<"$counts_before"
read -r r1 e1 p1 s1 <<<"$counts_first"
awk -v r=$((r1 - r0)) -v e=$((e1 - e0)) -v p=$((p1 - p0)) -v s=$((s1 - s0)) -v w="$WINDOW" 'BEGIN {
  printf "  work the netlink agent had in the first window: %.1f audit records/s, %.1f events/s, %.1f connector exits/s, %.1f deltas/s to the aggregator\n",
    r / w, e / w, p / w, s / w }' | tee -a "$work/idle.txt"
# Where those records come from: the same host, aggregator and stdin agent, and a netlink agent that also writes what
# the kernel sends it (--record: a writer and its 1 s flush, so not the agent measured above), over half the window,
# grouped by the process that made each syscall (godo's own other processes by name).
kill -TERM "$agent"; wait "$agent" 2>/dev/null || true
start agent-rec agent --aggregator "akka.tcp://godo@127.0.0.1:$REMOTE_PORT" --record "$work/at-rest.log"
registered "$started"
sleep "$SETTLE"
half=$(( (WINDOW + 1) / 2 ))
from=$(wc -l <"$work/at-rest.log")
sleep "$half"
sleep 1.2 # the recorder flushes every second
tail -n +"$((from + 1))" "$work/at-rest.log" >"$work/at-rest-window.log"
echo "  where the netlink agent's records came from (${half} s, recorded by a second netlink agent):" | tee -a "$work/idle.txt"
python3 bench/lib/records-by-source.py "$work/at-rest-window.log" "$half" "godo aggregator=$aggregator" \
  "godo agent (stdin, second)=$agent2" "bench/idle.sh=$$" --top 12 | tee -a "$work/idle.txt"
stop_all

start standalone standalone --http "http://127.0.0.1:$((REMOTE_PORT + 2))"
registered "$started"
sleep "$SETTLE"
at_rest "godo standalone=$started"
at_rest "godo standalone, steady (next window)=$started"
stop_all

auditd_start "$work/godo-rules.txt"
sleep "$SETTLE"
at_rest "auditd, same rules=$auditd_pid"
auditd_stop
auditctl -e "$found_enabled" -b "$found_backlog" --backlog_wait_time "$found_wait" >/dev/null
flock -u 9

# ---- 2. RSS against the host's process count
echo "agent RSS against the host's processes (fresh agent each, ${RSS_SETTLE} s after it registered):" | tee -a "$work/idle.txt"
for n in 0 100 1000 10000; do
  if [ "$n" -gt 0 ]; then
    setsid "$work/sleepers" "$n" >"$work/sleepers.out" &
    sleepers_pid=$!
    for _ in $(seq 1 600); do [ -s "$work/sleepers.out" ] && break; sleep 0.1; done
  fi
  flock 9
  start agent agent
  registered "$started"
  sleep "$RSS_SETTLE"
  printf "  %6d more processes (%6d on the host)  RSS %s\n" "$n" "$(ls -d /proc/[0-9]* | wc -l)" "$(rss "$started")" | tee -a "$work/idle.txt"
  stop_all
  # The same agent without the start-up trim of clean file pages (src/Godo.Cli/MappedFiles.cs): what it saves.
  if [ "$n" -eq 0 ]; then
    GODO_TRIM_MAPPED_FILES=0 start agent agent
    registered "$started"
    sleep "$RSS_SETTLE"
    printf "  %6d more processes, no file trim    RSS %s\n" "$n" "$(rss "$started")" | tee -a "$work/idle.txt"
    stop_all
  fi
  flock -u 9
  stop_sleepers
done

[ "$(status enabled)" = "$found_enabled" ] && [ "$(status backlog_limit)" = "$found_backlog" ] && ! auditctl -l | grep -q 'key=godo' \
  || { echo "kernel audit state not restored:" >&2; auditctl -s >&2; auditctl -l >&2; exit 1; }
echo
echo "== at rest ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
cat "$work/idle.txt"
