#!/bin/bash
# Issue 8's figures: "every death is seen".
#  a. The issue's table measured again: `./godo standalone --reconcile-every 0` (EXIT_SOURCE=auto, or audit to see
#     the audit-only agent), a container and deaths of every kind, and about 2.5 s after each step the container's
#     processes right in the tree (same pid, ppid, container and argv as /proc; zombies are not running) over the
#     union of both sides (a phantom counts against).
#  b. SIGTERM -> gone from the tree: median and max over 20 kills (bench/agent-latency --exits).
# The connector's CPU on the 5,000-exec storm, next to auditd's: bench/agent-figures.sh.
# Root; Docker; images godo/busybox:1 and godo/testbin:1 (built here when missing). Holds /tmp/godo-audit.lock.
set -u
cd "$(dirname "$(readlink -f "$0")")/.."
EXIT_SOURCE=${EXIT_SOURCE:-auto}
port=5392
name=godo-deaths-$$
log=$(mktemp /tmp/godo-deaths.XXXXXX.log)
[ "$(id -u)" = 0 ] || { echo "deaths: needs root" >&2; exit 2; }

echo "building..." >&2
./godo --help >/dev/null || exit 1
docker run --rm --network none godo/testbin:1 test -x /bin/waitall 2>/dev/null || bash corpus-workloads/src/build-testbin.sh >/dev/null
dotnet build bench/agent-latency/AgentLatency.csproj -c Release -o bench/out/agent-latency -nologo -v q >/dev/null || exit 1

exec 9>/tmp/godo-audit.lock
flock 9
./godo standalone --http "http://127.0.0.1:$port" --host-name deaths --reconcile-every 0 --exit-source "$EXIT_SOURCE" >"$log" 2>&1 &
godo=$!
cleanup() { docker rm -f "$name" >/dev/null 2>&1; [ -n "$godo" ] && kill -TERM "$godo" 2>/dev/null && wait "$godo" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 1' INT TERM
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/api/hosts" | grep -q '"deaths"' && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/api/hosts" | grep -q '"deaths"' || { tail -5 "$log" >&2; echo "deaths: the standalone did not come up in 60 s" >&2; exit 1; }

hostpid() { ps -eo pid,args | awk -v A="$1" '{p=$1; $1=""; sub(/^ /,""); if ($0==A) {print p; exit}}'; }
nspid() { awk '/^NSpid:/ {print $NF}' "/proc/$1/status"; }
right=0 total=0 rows=""
check() {
  sleep 2.5
  local r
  r=$(curl -fs "http://127.0.0.1:$port/api/hosts/deaths/tree" | python3 -c '
import json, os, sys
cid = sys.argv[1]
tree = {p["pid"]: (p["ppid"], p.get("container"), " ".join(p.get("argv") or [])) for p in json.load(sys.stdin)["processes"] if p.get("container") == cid}
proc = {}
for d in os.listdir("/proc"):
    if not d.isdigit(): continue
    try:
        if cid not in open(f"/proc/{d}/cgroup").read(): continue
        stat = open(f"/proc/{d}/stat").read()
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] in "ZX": continue
        argv = open(f"/proc/{d}/cmdline", "rb").read().rstrip(b"\0").split(b"\0")
        proc[int(d)] = (int(fields[1]), cid, " ".join(a.decode() for a in argv))
    except OSError: pass
pids = set(tree) | set(proc)
print(sum(1 for p in pids if tree.get(p) == proc.get(p)), len(pids))
' "$cid")
  right=$((right + ${r% *})); total=$((total + ${r#* }))
  rows+=$(printf '| %s | %s/%s |' "$1" "${r% *}" "${r#* }")$'\n'
}

cid=$(docker run -d --network none --name "$name" godo/testbin:1 sh -c 'sleep 9001 & sh -c "sleep 9002 & wait" & waitall /bin/sleep 9003 & sleep 9004 & exec sleep 9005')
check start
p=$(hostpid "sleep 9002"); kill -TERM "$p"
check '`kill -TERM` of a `sleep` whose parent reaps it'
docker exec -d "$name" sh -c 'sleep 9011; true'; sleep 0.5
p=$(hostpid "sleep 9011"); kill -INT "$p"
check '`kill -INT` of a foreground command'
docker exec "$name" timeout 1 sleep 9021
check 'busybox `timeout 1 sleep N`'
p=$(hostpid "/bin/sleep 9003"); kill -TERM "$p"
check 'a child reaped with `waitid(P_ALL)`'
p=$(hostpid "sleep 9004"); kill -TERM "$p"
check 'a `kill -TERM`ed child whose parent never reaps it'
p=$(hostpid "sleep 9001"); kill -HUP "$p"
check '`kill -HUP`'
docker exec -d "$name" sleep 9031; sleep 0.5
docker exec "$name" kill -QUIT "$(nspid "$(hostpid "sleep 9031")")"
check '`kill -QUIT` from inside the container'
docker exec "$name" sh -c 'trap - PIPE; yes | head -n 1 >/dev/null'
check 'SIGPIPE (`yes | head -n 1`)'
docker exec "$name" sh -c 'crash segv; crash abort; true'
check 'a segfault and an `abort()`'
docker exec "$name" sh -c 'i=0; while [ $i -lt 200 ]; do sleep 9041 & kill $!; i=$((i+1)); done; wait'
check '200 processes killed by SIGTERM'
docker rm -f "$name" >/dev/null
oom=$(docker run -d --network none --name "$name" -m 16m --memory-swap 16m godo/busybox:1 sh -c 'sleep 9051 & tail /dev/zero; exec sleep 9052')
cid=$oom
check 'an OOM kill in a `-m 16m` container'
docker rm -f "$name" >/dev/null
hosts=$(curl -fs "http://127.0.0.1:$port/api/hosts")
kill -TERM "$godo"; wait "$godo" 2>/dev/null; godo=""

echo
echo "== deaths (exit source: $EXIT_SOURCE; $(uname -r)) =="
echo "| step | container processes right (pid, ppid, container, argv vs /proc) |"
echo "|---|---|"
printf '%s' "$rows"
echo "| total over $(printf '%s' "$rows" | grep -c .) checkpoints | **$right/$total** |"
echo "$hosts" | grep -o '"\(corrections\|lost\|procEvents\)":[0-9]*' | tr '\n' ' '; echo
echo
dotnet bench/out/agent-latency/AgentLatency.dll 20 --exits | grep -E '^(over|  SIGTERM|  procEvents)'
