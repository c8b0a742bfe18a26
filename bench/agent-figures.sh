#!/usr/bin/env bash
# The live agent's figures, printed at the end:
#  1. A 5,000-exec storm inside a container: CPU seconds of `./godo agent` (utime+stime from /proc/PID/stat, before
#     and after, the agent's catch-up included), with the process events connector (godo+pe) and without it
#     (godo: --exit-source audit), next to Debian's auditd for the same storm, run separately, with the
#     same rules loaded the same way (the agent's own rule list, read back with auditctl -l and loaded with auditctl
#     for auditd, its self-exclusion naming auditd), and the kernel `lost` counter, which must stay 0.
#  2. docker exec -> the process in the agent's tree: median and max over 20 execs (bench/agent-latency, which hosts
#     the agent in-process and polls its tree and /proc every 10 ms).
#  3. At rest: CPU and RSS of the agent, the aggregator (alone and with 2 idle agents), standalone and auditd, and the
#     agent's RSS against the host's process count (bench/idle.sh, run last; IDLE_SECONDS sets its window, default 60).
#  4. Replay: `godo replay` next to laurel and ausearch on the 20x and 100x corpora (bench/replay.sh; no kernel state).
# Root; Docker running; image godo/busybox:1 (scripts/setup.sh). Kernel audit state is global: every phase holds
# /tmp/godo-audit.lock, and the state found at start is put back (checked at the end).
# Env: STORM (execs, default 5000), EXECS (latency samples, default 20).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
. bench/auditd.sh
. bench/lib/storm.sh
STORM="${STORM:-5000}"
EXECS="${EXECS:-20}"
LOCK=/tmp/godo-audit.lock
IMAGE=godo/busybox:1
work=$(mktemp -d /tmp/godo-figures.XXXXXX)
container="godolive-storm-$$"

echo "building..." >&2
./godo --help >/dev/null
dotnet build bench/agent-latency/AgentLatency.csproj -c Release -o bench/out/agent-latency -nologo -v q >"$work/build.log" 2>&1 \
  || { tail -20 "$work/build.log" >&2; exit 1; }

# ---- 1a. godo: with the process events connector (godo+pe, the default) and audit alone (godo, --exit-source audit)
exec 9>"$LOCK"
flock 9
save_audit_state
docker run -d --network none --name "$container" "$IMAGE" sleep 1000000 >/dev/null
for mode in auto audit; do
  ./godo agent --exit-source "$mode" >"$work/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 300); do [ "$(status pid)" = "$agent_pid" ] && auditctl -l | grep -q 'key=godo' && break; sleep 0.1; done
  [ "$(status pid)" = "$agent_pid" ] || { cat "$work/agent.log" >&2; echo "the agent did not register" >&2; exit 1; }
  auditctl -l | grep 'key=godo$' > "$work/godo-rules.txt"
  measure "$([ "$mode" = auto ] && echo godo+pe || echo godo)" "$agent_pid"
  kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=""
  if auditctl -l | grep -q 'key=godo$'; then echo "godo rules left after the agent stopped" >&2; exit 1; fi
done
flock -u 9

# ---- 1b. auditd, same storm, same rules
flock 9
auditd_start "$work/godo-rules.txt"
measure auditd "$auditd_pid"
echo "        (auditd wrote $(grep -c . "$work/auditd/audit.log") records; $(wc -l < "$work/godo-rules.txt") rules)" | tee -a "$work/figures.txt"
restore
docker rm -f "$container" >/dev/null
flock -u 9

# ---- 2. docker exec -> tree latency
flock 9
dotnet bench/out/agent-latency/AgentLatency.dll "$EXECS" | tee "$work/latency.txt"
flock -u 9

# ---- the kernel state is what it was
[ "$(status enabled)" = "$found_enabled" ] && [ "$(status backlog_limit)" = "$found_backlog" ] \
  && [ "$(status backlog_wait_time)" = "$found_wait" ] && [ "$(status pid)" = "$found_pid" ] && ! auditctl -l | grep -q 'key=godo' \
  || { echo "kernel audit state not restored:" >&2; auditctl -s >&2; auditctl -l >&2; exit 1; }

bench/idle.sh --seconds "${IDLE_SECONDS:-60}" | tee "$work/idle.txt"

bench/replay.sh | tee "$work/replay.txt"

echo
echo "== agent figures ($(nproc) cores, $(uname -r)) =="
cat "$work/figures.txt"
tail -4 "$work/latency.txt"
sed -n '/^== at rest/,$p' "$work/idle.txt"
sed -n '/^== replay/,$p' "$work/replay.txt"
