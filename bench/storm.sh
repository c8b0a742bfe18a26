#!/usr/bin/env bash
# The storm row of bench/agent-figures.sh alone, repeated: PAIRS rounds (default 3) of a STORM-exec storm (default
# 5000) in a busybox container, measured on `./godo agent` (with the process events connector, as shipped) and on
# Debian's auditd with the same rules, one after the other in each round, so the ratio godo/auditd of each round is
# taken under the same load. GODO=PATH measures another launcher than this checkout's ./godo; GODO_B=PATH also measures another build's launcher (a checkout of main, say) in each
# round, between the two. THREADS=1 (default) prints where each godo run's CPU went, thread by thread.
# PERF=FILE records the first godo run's storm with `perf record -g` (JIT frames named: DOTNET_PerfMapEnabled=1, W^X
# off; that run's CPU then includes the perf map's writing, so it is left out of the ratios).
# Root; Docker; image godo/busybox:1; holds /tmp/godo-audit.lock throughout and puts the kernel's audit state back.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
. bench/auditd.sh
. bench/lib/storm.sh
STORM="${STORM:-5000}"
PAIRS="${PAIRS:-3}"
THREADS="${THREADS:-1}"
GODO="${GODO:-./godo}"
IMAGE=godo/busybox:1
work=$(mktemp -d /tmp/godo-storm.XXXXXX)
container="godolive-storm-$$"

echo "building..." >&2
"$GODO" --help >/dev/null
if [ -n "${GODO_B:-}" ]; then "$GODO_B" --help >/dev/null; fi

exec 9>/tmp/godo-audit.lock
flock 9
save_audit_state
docker run -d --network none --name "$container" "$IMAGE" sleep 1000000 >/dev/null

# run_godo NAME LAUNCHER [perf]: one agent, one measured storm, the agent stopped and its rules checked gone.
run_godo() {
  local name=$1 launcher=$2 perf=${3:-}
  if [ -n "$perf" ]; then
    DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 "$launcher" agent >"$work/agent.log" 2>&1 &
  else
    "$launcher" agent >"$work/agent.log" 2>&1 &
  fi
  agent_pid=$!
  for _ in $(seq 1 300); do [ "$(status pid)" = "$agent_pid" ] && auditctl -l | grep -q 'key=godo' && break; sleep 0.1; done
  [ "$(status pid)" = "$agent_pid" ] || { cat "$work/agent.log" >&2; echo "the agent did not register" >&2; exit 1; }
  auditctl -l | grep 'key=godo$' > "$work/godo-rules.txt"
  if [ -n "$perf" ]; then
    (sleep 9; exec perf record -g -F 999 -p "$agent_pid" -o "$perf") >"$work/perf.log" 2>&1 &
    perf_pid=$!
  fi
  measure "$name" "$agent_pid"
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=""; fi
  kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=""
  if auditctl -l | grep -q 'key=godo$'; then echo "godo rules left after the agent stopped" >&2; exit 1; fi
}

echo "== $STORM-exec storms, $PAIRS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg) ==" | tee -a "$work/figures.txt"
if [ -n "${PERF:-}" ]; then run_godo godo-perf "$GODO" "$PERF"; fi
for round in $(seq 1 "$PAIRS"); do
  echo "-- round $round, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$work/figures.txt"
  run_godo godo "$GODO"
  if [ -n "${GODO_B:-}" ]; then run_godo godo-b "$GODO_B"; fi
  auditd_start "$work/godo-rules.txt"
  measure auditd "$auditd_pid"
  auditd_stop
  auditctl -e "$found_enabled" -b "$found_backlog" --backlog_wait_time "$found_wait" >/dev/null 2>&1 || true
done
docker rm -f "$container" >/dev/null
flock -u 9

[ "$(status enabled)" = "$found_enabled" ] && [ "$(status pid)" = "$found_pid" ] && ! auditctl -l | grep -q 'key=godo' \
  || { echo "kernel audit state not restored:" >&2; auditctl -s >&2; auditctl -l >&2; exit 1; }

echo
echo "== storm figures: CPU gross (net of idle), ratio godo/auditd of gross CPU in the same round =="
awk '/^-- round/ {r++} $1 ~ /^(godo|godo-b|auditd)$/ && $3 == "s" && $4 == "CPU" {g[r, $1] = substr($8, 2); n[r, $1] = $2} END {
  for (i = 1; i <= r; i++) {
    line = sprintf("round %d: auditd %s s (%s), godo %s s (%s) %.2fx", i, g[i, "auditd"], n[i, "auditd"], g[i, "godo"], n[i, "godo"], g[i, "godo"] / g[i, "auditd"])
    if ((i, "godo-b") in g) line = line sprintf(", godo-b %s s (%s) %.2fx", g[i, "godo-b"], n[i, "godo-b"], g[i, "godo-b"] / g[i, "auditd"])
    print line
  } }' "$work/figures.txt"
