#!/bin/bash
# Corrections are a bug count: runs `./godo standalone` (periodic /proc reconciliation ON, every 5 s) under a mixed
# Docker workload for N minutes (containers started, exec'd, signalled from the host and from inside, OOM-killed,
# crashed, stopped, killed, removed, all the while) and prints the /proc corrections, the kernel's lost records and
# the exits applied from the process events connector. With no kernel loss, corrections must be 0.
#   bench/deaths-soak.sh [--minutes N]      (root, Docker; holds /tmp/godo-audit.lock while it runs)
set -u
minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deaths-soak: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$minutes" in ''|*[!0-9]*) echo "deaths-soak: --minutes wants a whole number" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "deaths-soak: needs root (audit, the connector, Docker)" >&2; exit 2; }

cd "$(dirname "$(readlink -f "$0")")/.."
image=godo/busybox:1
port=5391
log=$(mktemp /tmp/godo-soak.XXXXXX.log)
prefix=godosoak-$$

./godo --help >/dev/null || exit 1   # build first, outside the lock and the clock
exec 9>/tmp/godo-audit.lock
flock 9
./godo standalone --http "http://127.0.0.1:$port" --host-name soak --reconcile-every 5s >"$log" 2>&1 &
godo=$!
cleanup() {
  docker ps -aq --filter "name=$prefix" | xargs -r docker rm -f >/dev/null 2>&1
  kill -TERM "$godo" 2>/dev/null; wait "$godo" 2>/dev/null   # TERM: a background job ignores SIGINT
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/hosts" | grep -q '"soak"' && break; sleep 0.2; done

# run NAME DOCKER-RUN-ARGS...: a container of this soak (all removed at the end)
run() { local name=$prefix-$1; shift; docker run -d --network none --name "$name" "$@" >/dev/null 2>&1; echo "$name"; }
hostpid() { ps -eo pid,args | awk -v A="$1" '{p=$1; $1=""; sub(/^ /,""); if ($0==A) {print p; exit}}'; }
sigs=(TERM INT HUP QUIT KILL)

end=$(( $(date +%s) + minutes * 60 ))
round=0
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round+1))
  a=$(run "a$round" "$image" sh -c "sleep 8$round & sh -c 'sleep 9$round & wait' & wait")
  b=$(run "b$round" --init "$image" sh -c "sleep 7$round & exec sleep 6$round")
  sleep 1
  for i in 1 2 3; do docker exec -d "$a" sleep "5$round$i"; done
  sleep 0.5
  sig=${sigs[$((round % ${#sigs[@]}))]}
  p=$(hostpid "sleep 5${round}1"); [ -n "$p" ] && kill -s "$sig" "$p"                   # from the host
  docker exec "$a" sh -c "kill -$sig \$(ps -o pid,args | awk '\$2==\"sleep\" && \$3==\"5${round}2\" {print \$1}')"  # inside
  docker exec "$a" sh -c 'trap - PIPE; yes | head -n 1 >/dev/null'                      # SIGPIPE
  docker exec "$a" timeout 1 sleep 30                                                  # busybox timeout
  docker exec "$a" sh -c 'i=0; while [ $i -lt 100 ]; do sleep 40 & kill $!; i=$((i+1)); done; wait'  # TERM storm
  docker exec "$a" sh -c 'i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done'    # exec burst
  p=$(hostpid "sleep 7$round"); [ -n "$p" ] && kill -TERM "$p"                          # never reaped: a zombie
  p=$(hostpid "sleep 9$round"); [ -n "$p" ] && kill -INT "$p"
  if [ $((round % 3)) = 0 ]; then
    run "oom$round" -m 16m --memory-swap 16m "$image" sh -c 'tail /dev/zero; sleep 1000' >/dev/null  # OOM kill
  fi
  case $((round % 4)) in
    0) docker stop -t 1 "$b" >/dev/null ;;   # init ignores SIGTERM: SIGKILL after 1 s
    1) docker kill "$a" >/dev/null ;;
    2) docker stop -t 5 "$a" >/dev/null ;;
    3) docker rm -f "$b" >/dev/null ;;
  esac
  # keep a handful of containers: remove the oldest beyond 8
  docker ps -aq --filter "name=$prefix" | tail -n +9 | xargs -r docker rm -f >/dev/null 2>&1
done
docker ps -aq --filter "name=$prefix" | xargs -r docker rm -f >/dev/null 2>&1
sleep 12   # two more reconciliations after the last container went

hosts=$(curl -fs "http://127.0.0.1:$port/api/hosts")
field() { echo "$hosts" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
echo "deaths-soak: $minutes min, $round rounds"
echo "corrections: $(field corrections)"
echo "kernel lost: $(field lost)"
echo "procEvents: $(field procEvents)"
echo "exit sources: $(echo "$hosts" | grep -o '"exitSources":\[[^]]*\]' | head -1)"
grep -q 'reconcile (' "$log" && { echo "correction lines:"; grep 'reconcile (' "$log" | tail -n 40; }
grep -E 'lost|unavailable' "$log" | tail -n 5
echo "log: $log"
