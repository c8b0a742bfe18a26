#!/bin/bash
# Corpus fleet-churn: 8 containers started in parallel (one with --init, one with
# --pid=host, one whose pid 1 traps SIGTERM); kill -9 from the host of a container process,
# of a container's pid 1, of a host process and of a host process group; kill -9 inside a
# container by namespace pid; docker restart of containers with children; parallel churn
# (rm, run and exec at once). Image godo/busybox:1 only.
# Runs under capture.sh (env: OUTDIR, TOOLS).
set -u
D=/usr/bin/docker
OUT=$OUTDIR/snapshots.jsonl
: > $OUT
ckpt() { sleep 2; /bin/true "godo-checkpoint-$1"; /usr/bin/python3 "$TOOLS/snap.py" "$1" >> $OUT; $D ps --no-trunc --format '{{json .}}' > $OUTDIR/dockerps-$1.jsonl; }
ckpt 0-baseline
# 8 docker run -d at once. cap-fleetN: sh -> sleep 40N001, sleep 40N002.
for i in 0 1 2 3 4 5 6 7; do
  case $i in
    3) $D run -d --name cap-fleet3 --network none godo/busybox:1 sh -c 'trap "exit 0" TERM; sleep 403001 & sleep 403002 & wait' >/dev/null & ;;
    6) $D run -d --name cap-fleet6 --network none --init godo/busybox:1 sh -c 'sleep 406001 & sleep 406002 & wait' >/dev/null & ;;
    7) $D run -d --name cap-fleet7 --network none --pid=host godo/busybox:1 sh -c 'sleep 407001 & sleep 407002 & wait' >/dev/null & ;;
    *) $D run -d --name cap-fleet$i --network none godo/busybox:1 sh -c "sleep 40${i}001 & sleep 40${i}002 & wait" >/dev/null & ;;
  esac
done
wait
# host processes to kill later: a sleep, and a process group (setsid sh with two sleeps)
sleep 400100 &
H_SLEEP=$!
setsid sh -c 'sleep 400101 & sleep 400102 & wait' &
H_GROUP=$!
ckpt 1-fleet
# kill -9 from the host: "sleep 400001" in cap-fleet0 (host pid from docker top);
# pid 1 of cap-fleet1 (the whole pid namespace dies; only the kill is logged);
# the host sleep; the host process group (kill(-pgid, 9)).
P=$($D top cap-fleet0 -eo pid,args | awk '$2 == "sleep" && $3 == "400001" {print $1}')
kill -9 $P
P1=$($D inspect -f '{{.State.Pid}}' cap-fleet1)
kill -9 $P1
kill -9 $H_SLEEP
kill -9 -- -$H_GROUP
wait $H_SLEEP $H_GROUP 2>/dev/null
# inside a container: sh kills its own child by its namespace pid ($!)
$D run -d --name cap-selfkill --network none godo/busybox:1 sh -c 'sleep 400201 & p=$!; sleep 400202 & sleep 1; kill -9 $p; wait' >/dev/null
sleep 1
ckpt 2-kill
# docker restart: cap-fleet2's sh ignores SIGTERM (pid 1) and gets SIGKILL after 1 s;
# cap-fleet3's sh exits on SIGTERM; cap-fleet6's docker-init forwards SIGTERM to sh.
$D restart -t 1 cap-fleet2 >/dev/null
$D restart -t 1 cap-fleet3 >/dev/null
$D restart -t 1 cap-fleet6 >/dev/null
ckpt 3-restart
# churn, all at once: remove two containers, start three, exec into two
$D rm -f cap-fleet4 >/dev/null &
$D rm -f cap-fleet5 >/dev/null &
for i in 0 1 2; do $D run -d --name cap-new$i --network none godo/busybox:1 sh -c "sleep 40800$i & exec sleep 40810$i" >/dev/null & done
$D exec -d cap-fleet0 sh -c 'sleep 400301 & exec sleep 400302' &
$D exec -d cap-fleet7 sleep 407301 &
wait
ckpt 4-churn
# end: remove all in parallel
for c in cap-fleet0 cap-fleet1 cap-fleet2 cap-fleet3 cap-fleet6 cap-fleet7 cap-selfkill cap-new0 cap-new1 cap-new2; do
  $D rm -f $c >/dev/null &
done
wait
ckpt 5-end
exit 0
