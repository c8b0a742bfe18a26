#!/bin/bash
# record.sh NAME: records corpus-workloads/NAME.sh with capture.sh (the agent's rules from audit.rules) and the
# shared filter (plus keep-crashes.py, which keeps the workload's core dump records), and writes
# tests/Godo.Agent.Tests/Data/corpus/NAME/ (audit.log, snapshots.jsonl, docker-ps.jsonl,
# kernel-status.txt, workload.sh). Needs root, Debian's auditd, a running Docker engine,
# and (for threads-exec and daemons-args) the image godo/testbin:1 from src/build-testbin.sh.
# The kernel audit state is global: the capture runs under flock /tmp/godo-audit.lock, and
# the backlog limit and wait time that capture.sh changes are put back afterwards, and a
# non-zero lost counter is reset first (kernel-status.txt must count this recording only).
# Docker is shared too: before each try it waits for Docker to be idle (no docker CLI
# process, no running container), and when check.py finds someone else's docker activity
# in the recording (exit 3) it records again, up to TRIES (default 8) times.
set -eu
NAME=$1
HERE=$(dirname "$(readlink -f "$0")")
REPO=$(dirname "$HERE")
TOOLS=${TOOLS:-/work/shared/tools}
RAW=${RAW:-/tmp/godo-capture/$NAME}
DEST=$REPO/tests/Godo.Agent.Tests/Data/corpus/$NAME
W=$HERE/$NAME.sh
TRIES=${TRIES:-8}
[ -x "$W" ] || { echo "no workload $W" >&2; exit 2; }

docker_idle() { ! pgrep -x docker >/dev/null && [ -z "$(docker ps -q)" ]; }
wait_idle() {  # Docker idle for 15 s in a row (gives up waiting after 10 minutes)
  local quiet=0 waited=0
  while [ $quiet -lt 15 ] && [ $waited -lt 600 ]; do
    if docker_idle; then quiet=$((quiet + 1)); else quiet=0; fi
    sleep 1; waited=$((waited + 1))
  done
}

capture() {
  rm -rf "$RAW"; mkdir -p "$RAW"
  flock /tmp/godo-audit.lock bash -c '
    set -u
    before=$(auditctl -s)
    echo "$before" > "$3/status-before.txt"
    # kernel-status.txt reports the kernel lost counter, which counts since its last reset:
    # reset it so that it counts this recording only (the old value stays in status-before.txt)
    if ! echo "$before" | grep -q "^lost 0$"; then auditctl --reset-lost >/dev/null; fi
    b=$(echo "$before" | awk "/^backlog_limit /{print \$2}")
    w=$(echo "$before" | awk "/^backlog_wait_time /{print \$2}")
    TOOLS="$4" "$1" "$2" "$3"; rc=$?
    # capture.sh restores rules and the enabled flag; make sure, then restore the backlog settings
    if ! auditctl -l | grep -q "^No rules"; then auditctl -D >/dev/null; fi
    apid=$(auditctl -s | awk "/^pid /{print \$2}")
    if [ "$apid" != 0 ]; then echo "auditd pid $apid still registered: stopping it" >&2; kill "$apid"; sleep 1; fi
    auditctl -e 0 >/dev/null
    auditctl -b "$b" --backlog_wait_time "$w" >/dev/null
    exit $rc
  ' _ "$HERE/capture.sh" "$W" "$RAW" "$TOOLS"
  python3 "$TOOLS/filter.py" "$RAW"
  python3 "$HERE/keep-crashes.py" "$RAW"
  python3 "$HERE/assemble.py" "$RAW" "$DEST" "$W"
}

for try in $(seq 1 $TRIES); do
  wait_idle
  echo "== recording $NAME, try $try"
  capture
  rc=0; python3 "$HERE/check.py" "$DEST" "$RAW" > "$RAW/check.txt" || rc=$?
  [ $rc -eq 3 ] || break
  echo "someone else used Docker during the recording: again"; grep FAIL "$RAW/check.txt" | cut -c1-200
done
cat "$RAW/check.txt"
auditctl -l; auditctl -s | grep -E '^(enabled|pid|backlog_limit|backlog_wait_time|lost) '
exit $rc
