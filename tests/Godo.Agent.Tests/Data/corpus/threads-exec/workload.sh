#!/bin/bash
# Corpus threads-exec: threads, exec from a non-leader thread, fork from a thread that then
# exits, vfork / posix_spawn (C and busybox applets), an i386 process.
# Runs under capture.sh (env: OUTDIR, TOOLS). Needs the image godo/testbin:1 and the host
# copies of the helpers in ../build (both made by src/build-testbin.sh).
set -u
D=/usr/bin/docker
BIN=$(dirname "$(readlink -f "$0")")/build
OUT=$OUTDIR/snapshots.jsonl
: > $OUT
ckpt() { sleep 2; /bin/true "godo-checkpoint-$1"; /usr/bin/python3 "$TOOLS/snap.py" "$1" >> $OUT; $D ps --no-trunc --format '{{json .}}' > $OUTDIR/dockerps-$1.jsonl; }
ckpt 0-baseline
# pid 1 = threads: 6 sleeping threads; a 7th thread forks "sleep 200001" and exits.
$D run -d --name cap-threads --network none godo/testbin:1 threads 6 /bin/sleep 200001 >/dev/null
# threads as a child of sh, and sh's own children around it
$D run -d --name cap-threads2 --network none godo/testbin:1 sh -c 'threads 3 & threads 2 /bin/sleep 200002 & sleep 200003; :' >/dev/null
$BIN/threads 4 /bin/sleep 200004 &
H_THREADS=$!
ckpt 1-threads
# exec from a non-leader thread. cap-threxec: sh -> threxec (3 threads) -> child sleep 200011;
# then a thread of threxec execs "sleep 200012": same pid, ppid sh, child sleep 200011 kept.
$D run -d --name cap-threxec --network none godo/testbin:1 sh -c 'threxec 3 200011 /bin/sleep 200012; :' >/dev/null
# cap-threxec1: the container's pid 1 execs from a thread into sh, which forks sleep 200014.
$D run -d --name cap-threxec1 --network none godo/testbin:1 threxec 2 200013 /bin/sh -c 'sleep 200014; :' >/dev/null
# docker exec of a process that execs from a thread into a multi-threaded program
$D exec -d cap-threads threxec 1 200015 /bin/threads 2 /bin/sleep 200016
$BIN/threxec 2 200017 /bin/sleep 200018 &
H_THREXEC=$!
ckpt 2-threxec
# vfork: the C helper (vfork+_exit, vfork+exec, posix_spawn = clone3 CLONE_VM|CLONE_VFORK) and
# busybox applets that vfork: xargs, find -exec, time; timeout vforks a watcher that forks a
# grandchild and exits, then the timeout process itself execs the command.
$D run -d --name cap-vfork --network none godo/testbin:1 sh -c 'vforker 200021 200022 & echo 200023 | xargs sleep & timeout 200024 sleep 200025 & find /bin -name sleep -exec {} 200026 \; & time sleep 200027 & wait' >/dev/null
$BIN/vforker 200028 200029 &
H_VFORK=$!
ckpt 3-vfork
# i386: prog32 is a 32-bit static binary (raw fork nr 2, vfork 190, clone 120, execve 11,
# exit_group 252); its posix_spawn and pthread_create use clone3, which the b32 rule lacks.
$D run -d --name cap-i386 --network none godo/testbin:1 sh -c 'prog32 200031; :' >/dev/null
$BIN/prog32 200033 &
H_PROG32=$!
ckpt 4-i386
# end: remove everything; the host helpers and their children get SIGKILL (audited kill a1=9)
$D rm -f cap-threads cap-threads2 cap-threxec cap-threxec1 cap-vfork cap-i386 >/dev/null
KIDS=$(cat /proc/$H_THREADS/task/*/children /proc/$H_THREXEC/task/*/children /proc/$H_VFORK/task/*/children /proc/$H_PROG32/task/*/children 2>/dev/null)
kill -9 $H_THREADS $H_THREXEC $H_VFORK $H_PROG32 $KIDS
wait
ckpt 5-end
exit 0
