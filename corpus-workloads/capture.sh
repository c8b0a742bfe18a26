#!/bin/bash
# capture.sh WORKLOAD OUTDIR: records the kernel audit stream (auditd, raw format) while WORKLOAD runs real Docker
# containers. The project's variant of shared/tools/capture.sh: the same auditd setup, but the rules come from one
# place, audit.rules beside this script (the agent's own list, reaps included), so a new corpus shows what the
# agent would see. TOOLS (default /work/shared/tools) is where the workload finds snap.py.
set -eu
HERE=$(dirname "$(readlink -f "$0")")
RULES=${RULES:-$HERE/audit.rules}
. "$HERE/../scripts/auditd-conf.sh"
TOOLS=${TOOLS:-/work/shared/tools}
W=$(readlink -f "$1"); OUT=$(readlink -f "$2"); mkdir -p "$OUT/conf" "$OUT/plugins"; rm -f "$OUT"/audit.log* "$OUT"/snapshots.jsonl "$OUT"/dockerps-*
[ -f "$RULES" ] || { echo "capture.sh: no rules file $RULES" >&2; exit 2; }
auditd_conf "$OUT/audit.log" "$OUT/plugins" > "$OUT/conf/auditd.conf"
auditd -c "$OUT/conf" -n > "$OUT/auditd.out" 2>&1 &
AP=$!
sleep 1.5
auditctl -D >/dev/null
auditctl -b 16384 --backlog_wait_time 60000 >/dev/null
grep -v -e '^#' -e '^$' "$RULES" | while read -r rule; do
  # shellcheck disable=SC2086  # a rule is auditctl words
  auditctl $rule >/dev/null
done
cp "$RULES" "$OUT/audit.rules"
auditctl -e 1 >/dev/null
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin OUTDIR="$OUT" TOOLS="$TOOLS" "$W" &
WP=$!
echo $WP > "$OUT/workload.pid"
wait $WP
auditctl -s | grep -E "^lost|^backlog " > "$OUT/kernel-status.txt"
auditctl -D >/dev/null; auditctl -e 0 >/dev/null
kill $AP; wait $AP || true
mv "$OUT/audit.log" "$OUT/audit.raw.log"; mv "$OUT/snapshots.jsonl" "$OUT/snapshots.raw.jsonl"
echo "roots $WP $(pidof containerd) $(pidof dockerd)" > "$OUT/roots.txt"
