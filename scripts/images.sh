#!/usr/bin/env bash
# Builds the images godo/agent:VERSION and godo/aggregator:VERSION (and :latest) in the local Docker engine, from the
# self-contained binary and the Debian packages of the libraries it loads; called by scripts/package.sh.
# No registry and no base image: the root filesystem is those packages' files, imported with `docker import`. The
# packages come from apt (apt-get download, cached in .build/package/debs so later runs work offline) or, when apt
# cannot reach a mirror, from the same packages installed on this machine.
# Usage: scripts/images.sh VERSION PUBLISH_DIR WORK_DIR
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: scripts/images.sh VERSION PUBLISH_DIR WORK_DIR" >&2; exit 2; }
version="$1" publish="$2" work="$3"
die() { echo "images: $*" >&2; exit 1; }

# What the binary loads: glibc, libgcc and libstdc++ (linked: the runtime is C++), and OpenSSL (opened on first use, for
# TLS and certificates). zlib is built in, and globalization is invariant: no ICU.
packages=(libc6 libgcc-s1 libstdc++6 libssl3)
debs="$work/debs"
rootfs="$work/rootfs"
mkdir -p "$debs"
timeout 10 docker info >/dev/null 2>&1 || die "the Docker engine does not answer (scripts/setup.sh starts it)"

rm -rf "$rootfs"
mkdir -p "$rootfs"
for p in "${packages[@]}"; do
    file=$(ls "$debs/${p}_"*.deb 2>/dev/null | head -n 1 || true)
    if [[ -z $file ]]; then
        (cd "$debs" && apt-get download -qq "$p" >/dev/null 2>&1) || true
        file=$(ls "$debs/${p}_"*.deb 2>/dev/null | head -n 1 || true)
    fi
    if [[ -n $file ]]; then
        dpkg-deb -x "$file" "$rootfs"
    elif dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        echo "images: apt-get download $p failed; using the installed package's files" >&2
        dpkg-query -L "$p" | while read -r f; do
            [[ -f $f || -L $f ]] && cp -a --parents "$f" "$rootfs/"
        done
    else
        die "cannot get the Debian package $p (apt-get download failed and it is not installed here)"
    fi
done
# Documentation, manuals, translations and maintainer data are no use in a container.
rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian,gcc,gdb} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv
ldconfig -r "$rootfs" 2>/dev/null || true
install -d -m 755 "$rootfs"/{usr/bin,usr/lib/godo,etc/godo,run/godo,var/lib/godo,proc,sys,dev}
install -d -m 1777 "$rootfs/tmp"
# As in the .deb: the binary reads wwwroot/ and appsettings.json beside its real path, /usr/lib/godo.
install -m 755 "$publish/godo" "$rootfs/usr/lib/godo/godo"
install -m 644 "$publish/libe_sqlite3.so" "$rootfs/usr/lib/godo/libe_sqlite3.so"
cp -r "$publish/wwwroot" "$rootfs/usr/lib/godo/wwwroot"
ln -s ../lib/godo/godo "$rootfs/usr/bin/godo"
echo '{}' > "$rootfs/etc/godo/appsettings.json"
ln -s /etc/godo/appsettings.json "$rootfs/usr/lib/godo/appsettings.json"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\ngodo:x:999:999:godo aggregator:/var/lib/godo:/usr/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\ngodo:x:999:\n' > "$rootfs/etc/group"
chown 999:999 "$rootfs/var/lib/godo"

base="godo/godo:$version"
tar -C "$rootfs" --numeric-owner -c . | docker import -m "godo $version: the binary and the Debian packages ${packages[*]}" - "$base" >/dev/null \
    || die "docker import failed"
docker run --rm --network none "$base" /usr/bin/godo --version >/dev/null || die "godo does not run in $base"

# Two images on the one layer: only the entry point and the user differ.
commit() { # NAME USER ENTRYPOINT...
    local name=$1 user=$2; shift 2
    local json; json=$(printf '"%s",' "$@"); json="[${json%,}]"
    local c; c=$(docker create "$base" /usr/bin/godo --version)
    docker commit -m "godo $version $name" -c "ENTRYPOINT $json" -c 'CMD []' -c "USER $user" \
        -c 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1' -c "LABEL org.opencontainers.image.version=$version" \
        "$c" "godo/$name:$version" >/dev/null
    docker rm "$c" >/dev/null
    docker tag "godo/$name:$version" "godo/$name:latest"
    echo "images: godo/$name:$version ($(docker image inspect -f '{{.Size}}' "godo/$name:$version" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
}
commit agent 0 /usr/bin/godo agent
commit aggregator 999 /usr/bin/godo aggregator
