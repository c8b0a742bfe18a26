#!/bin/bash
# Corpus daemons-args: daemons' double fork (in a container and on the host, with and
# without a subreaper), zombies (and zombies whose parent is then SIGKILLed), arguments
# over 8 KB (one 10000-byte argument, 7000/5000-byte ones, 1200 arguments), non-ASCII and
# awkward arguments (UTF-8, spaces, quotes, empty, tab, newline, control byte).
# Runs under capture.sh (env: OUTDIR, TOOLS). Needs the image godo/testbin:1 and the host
# copies of the helpers in ../build (both made by src/build-testbin.sh).
set -u
D=/usr/bin/docker
BIN=$(dirname "$(readlink -f "$0")")/build
OUT=$OUTDIR/snapshots.jsonl
: > $OUT
ckpt() { sleep 2; /bin/true "godo-checkpoint-$1"; /usr/bin/python3 "$TOOLS/snap.py" "$1" >> $OUT; $D ps --no-trunc --format '{{json .}}' > $OUTDIR/dockerps-$1.jsonl; }
ckpt 0-baseline
# double fork in a container: G of "daemonize" (no sync: G may exec after its parent died),
# G of "daemonize -s" (G execs before its parent exits), busybox start-stop-daemon -b;
# then pid 1 (sh) execs sleep 300004, so the orphans' parent is a sleep that never reaps.
$D run -d --name cap-daemon --network none godo/testbin:1 sh -c 'daemonize /bin/sleep 300001; daemonize -s /bin/sh -c "sleep 300002; :"; start-stop-daemon -S -b -m -p /tmp/ssd.pid -x /bin/sleep -- 300003; exec sleep 300004' >/dev/null
# a subreaper inside the container: the daemon's G is reparented to the subreaper, not pid 1
$D run -d --name cap-subreaper --network none godo/testbin:1 subreaper /bin/sh -c 'daemonize /bin/sleep 300005; exec sleep 300006' >/dev/null
# on the host: G reparented to host pid 1 (synchronised, so G's execve names a live parent),
# and below a host subreaper (unsynchronised)
$BIN/daemonize -s /bin/sleep 300007
$BIN/subreaper $BIN/daemonize /bin/sleep 300008 &
H_SUBR=$!
ckpt 1-daemons
# zombies: "zombie 3" leaves 3 fork-only children and one exec'd child (true) unreaped;
# "sleep 1" becomes a zombie of pid 1 after sh execs sleep 300011 (which never reaps).
$D run -d --name cap-zombie --network none godo/testbin:1 sh -c 'zombie 3 & sleep 1 & exec sleep 300011' >/dev/null
$BIN/zombie 2 &
H_ZOMBIE=$!
bash -c 'sleep 1 & exec sleep 300012' &
H_ZSLEEP=$!
ckpt 2-zombies
# SIGKILL (from the host) the container's zombie parent: it becomes a zombie itself (its
# parent, pid 1 = sleep, never reaps) and its zombie children are reparented to pid 1.
# On the host, kill -9 the zombie parent: its zombies go to host pid 1, which reaps them.
ZP=$($D top cap-zombie -eo pid,args | awk '$2 == "zombie" {print $1}')
kill -9 $ZP
kill -9 $H_ZOMBIE
wait $H_ZOMBIE 2>/dev/null
ckpt 3-zombie-reparent
# arguments over 8 KB: one of 10000 bytes (hex-encoded, split into aN[k] pieces), 7000 and
# 5000 bytes, a 10002-byte UTF-8 one; and 1200 arguments of 9 bytes (several EXECVE records)
printf -v A10 '%10000s' ''; A10=${A10// /A}
printf -v B7 '%7000s' ''; B7=${B7// /B}
printf -v C5 '%5000s' ''; C5=${C5// /C}
printf -v U10 '%3334s' ''; U10=${U10// /✓}
MANY=(); for ((i = 1; i <= 1200; i++)); do printf -v a 'arg-%04d' $i; MANY+=("$a"); done
$D run -d --name cap-bigargs --network none godo/busybox:1 sh -c 'sleep 300021; :' big "$A10" "$B7" "$C5" "$U10" end >/dev/null
$D run -d --name cap-manyargs --network none godo/busybox:1 sh -c 'sleep 300022; :' many "${MANY[@]}" >/dev/null
$D exec -d cap-bigargs sh -c 'sleep 300023; :' exec "$C5" "${MANY[@]}"
/bin/sh -c 'sleep 300024; :' host "$A10" "${MANY[@]}" &
H_BIG=$!
ckpt 4-bigargs
# non-ASCII and awkward arguments
$D run -d --name cap-utf8 --network none godo/busybox:1 sh -c 'sleep 300031; :' u "héllo wörld ✓" "two  spaces" 'say "hi"' "it's" '' $'tab\there' $'new\nline' '$HOME' 'back\slash' '日本語' '🙂' $'\x01ctl' ' ' >/dev/null
$D exec -d cap-utf8 sh -c 'sleep 300032; :' "ü ö ä ✓" '' '"'
/bin/sh -c 'sleep 300033; :' host "héllo wörld ✓" 'say "hi"' '' $'new\nline' &
H_UTF=$!
ckpt 5-utf8
# end: remove the containers; SIGKILL the host processes (the daemons found by their argv)
$D rm -f cap-daemon cap-subreaper cap-zombie cap-bigargs cap-manyargs cap-utf8 >/dev/null
KIDS=$(cat /proc/$H_SUBR/task/*/children /proc/$H_ZSLEEP/task/*/children /proc/$H_BIG/task/*/children /proc/$H_UTF/task/*/children 2>/dev/null)
DAEMON=$(pgrep -x -f '/bin/sleep 300007')
kill -9 $H_SUBR $H_ZSLEEP $H_BIG $H_UTF $KIDS $DAEMON
wait
ckpt 6-end
exit 0
