#!/bin/bash
# Corpus signal-deaths: container processes that die of signals no audit rule sees being sent (the victim makes no
# syscall on its way out) and are reaped by their parent's wait4: SIGTERM, SIGINT, SIGHUP and SIGQUIT from the host
# and from inside, busybox timeout, SIGPIPE, crashes that dump core (ANOM_ABEND), an OOM kill, docker stop of an
# init that ignores SIGTERM, and a --init (tini) container. Needs the reap rules (corpus-workloads/audit.rules).
# Image godo/busybox:1 only. Runs under capture.sh (env: OUTDIR, TOOLS).
set -u
D=/usr/bin/docker
OUT=$OUTDIR/snapshots.jsonl
: > $OUT
ckpt() { sleep 2; /bin/true "godo-checkpoint-$1"; /usr/bin/python3 "$TOOLS/snap.py" "$1" >> $OUT; $D ps --no-trunc --format '{{json .}}' > $OUTDIR/dockerps-$1.jsonl; }
# host pid of "sleep ARG" in container $1, and a host pid's pid inside its container
hostpid() { $D top "$1" -eo pid,args | awk -v a="$2" '$2 == "sleep" && $3 == a {print $1}'; }
nspid() { awk '/^NSpid/ {print $NF}' "/proc/$1/status"; }
run() { $D run -d --network none "$@" >/dev/null; }
ckpt 0-baseline
# cap-bg: sh waits (the wait builtin) for background sleeps; each killed one is reaped by wait4(-1)
run --name cap-bg godo/busybox:1 sh -c 'sleep 501001 & sleep 501002 & sleep 501003 & sleep 501009 & wait'
# cap-fg: foreground sleeps one after another (a non-interactive sh ignores SIGINT/SIGQUIT only in background jobs)
run --name cap-fg godo/busybox:1 sh -c 'sleep 502001; sleep 502002; sleep 502003; sleep 502009'
# cap-tini: docker-init is pid 1, sh its child
run --name cap-tini --init godo/busybox:1 sh -c 'sleep 508001 & sleep 508009 & wait'
run --name cap-crash godo/busybox:1 sh -c 'sleep 505001 & sleep 505002 & sleep 505009 & wait'
# cap-stop: pid 1 ignores SIGTERM, so docker stop ends with SIGKILL
run --name cap-stop godo/busybox:1 sh -c 'trap "" TERM; sleep 507001 & wait'
ckpt 1-started
# SIGTERM from the host and SIGHUP from inside (by namespace pid) to cap-bg's background sleeps
kill -TERM "$(hostpid cap-bg 501001)"
$D exec cap-bg kill -HUP "$(nspid "$(hostpid cap-bg 501002)")"
# SIGINT from the host to cap-fg's foreground sleep; SIGQUIT and SIGTERM from inside to the next ones
kill -INT "$(hostpid cap-fg 502001)"
sleep 0.5
$D exec cap-fg kill -QUIT "$(nspid "$(hostpid cap-fg 502002)")"
sleep 0.5
$D exec cap-fg kill -TERM "$(nspid "$(hostpid cap-fg 502003)")"
kill -TERM "$(hostpid cap-tini 508001)"
ckpt 2-signals
# SIGPIPE: yes dies when head has exited; busybox timeout SIGTERMs its sleep after 1 s
run --name cap-pipe godo/busybox:1 sh -c 'yes | head -n 1 >/dev/null; sleep 504009'
run --name cap-timeout godo/busybox:1 sh -c 'timeout 1 sleep 503001; sleep 503009'
sleep 1
ckpt 3-pipe-timeout
# crashes: SIGSEGV from the host, SIGABRT from inside; the kernel writes ANOM_ABEND before it checks ulimit -c
kill -SEGV "$(hostpid cap-crash 505001)"
$D exec cap-crash kill -ABRT "$(nspid "$(hostpid cap-crash 505002)")"
ckpt 4-crash
# OOM kill: tail of /dev/zero grows until the cgroup's OOM killer SIGKILLs it (no syscall); sh reaps it
run --name cap-oom -m 16m --memory-swap 16m godo/busybox:1 sh -c 'sleep 506009 & tail /dev/zero; wait'
ID=$($D inspect -f '{{.Id}}' cap-oom)
# the cgroup's oom_kill counter: memory.events (cgroup v2) or memory.oom_control (v1)
EV=$(ls /sys/fs/cgroup/system.slice/docker-$ID.scope/memory.events /sys/fs/cgroup/docker/$ID/memory.events \
  /sys/fs/cgroup/memory/docker/$ID/memory.oom_control 2>/dev/null | head -1)
for _ in $(seq 1 60); do
  [ -n "$EV" ] && [ "$(awk '/^oom_kill / {print $2}' "$EV")" -ge 1 ] 2>/dev/null && break
  sleep 0.5
done
ckpt 5-oom
$D stop -t 1 cap-stop >/dev/null
ckpt 6-stop
for c in cap-bg cap-fg cap-tini cap-crash cap-stop cap-pipe cap-timeout cap-oom; do $D rm -f $c >/dev/null & done
wait
ckpt 7-end
exit 0
