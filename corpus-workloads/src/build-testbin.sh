#!/bin/bash
# Compiles the helper programs (static; prog32 as i386) into corpus-workloads/build/ and
# builds the image godo/testbin:1 = the files of godo/busybox:1 + these binaries in /bin.
# Needs gcc, gcc-multilib (for -m32; without it prog32 is skipped) and a running Docker engine.
set -eu
SRC=$(dirname "$(readlink -f "$0")")
B=$SRC/../build
rm -rf "$B"; mkdir -p "$B/root"
for p in threads threxec; do gcc -static -O2 -pthread -o "$B/$p" "$SRC/$p.c"; done
for p in vforker daemonize zombie subreaper crash waitall; do gcc -static -O2 -o "$B/$p" "$SRC/$p.c"; done
if gcc -m32 -static -O2 -pthread -o "$B/prog32" "$SRC/prog32.c"; then :; else echo "gcc -m32 failed: no prog32 (apt-get install gcc-multilib)" >&2; fi
cid=$(docker create godo/busybox:1 /bin/true)
docker export "$cid" | tar -x -C "$B/root"
docker rm "$cid" >/dev/null
for f in "$B"/*; do [ -f "$f" ] && install -m 0755 "$f" "$B/root/bin/"; done
docker rmi godo/testbin:1 >/dev/null 2>&1 || true
tar -C "$B/root" -c . | docker import --change 'ENV PATH=/bin' - godo/testbin:1
rm -rf "$B/root"
docker run --rm --network none godo/testbin:1 sh -c 'ls -l /bin/threads /bin/threxec /bin/vforker /bin/daemonize /bin/zombie /bin/subreaper /bin/crash /bin/waitall /bin/prog32'
