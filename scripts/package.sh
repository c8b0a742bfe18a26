#!/usr/bin/env bash
# Builds godo's release artifacts from a clean clone into dist/ (or --out DIR):
#   godo-VERSION-linux-x64.tar.gz  the self-contained single-file binary (ReadyToRun, untrimmed), the native replay
#                                  (godo-replay, which `godo replay` hands over to), the dashboard and an empty
#                                  appsettings.json: runs on any x86-64 glibc Linux without .NET;
#   godo_VERSION_amd64.deb         /usr/bin/godo, /etc/godo conffiles, the hardened godo-agent and godo-aggregator
#                                  units, the godo system user; checked with lintian and systemd-analyze verify;
#   images godo/agent:VERSION and godo/aggregator:VERSION (and :latest) in the local Docker engine, built from the
#                                  binary and the Debian packages of the few libraries it loads (no registry needed).
# Usage: scripts/package.sh [--out DIR] [--no-images] [--no-checks]
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
pkg="$here/packaging"
out="$here/dist"
images=1
checks=1

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "package: $*" >&2; exit 1; }
while (($#)); do
    case "$1" in
        --out) [[ $# -ge 2 ]] || die "--out needs a directory"; out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        --no-images) images=0; shift ;;
        --no-checks) checks=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "package: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

version="$(tr -d ' \n' < "$here/VERSION")"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "VERSION must be MAJOR.MINOR.PATCH, not '$version'"
work="$here/.build/package"
publish="$work/publish"
mkdir -p "$out" "$work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# ------------------------------------------------------------------ the binary
# Self-contained single file, ReadyToRun for start-up. Not trimmed: Akka.NET creates its actors, serializers and
# extensions from type names in HOCON, and ASP.NET Core is not trim-safe either; the trimmer cannot see those uses, and
# the trimmed binary would fail at run time, not at build time. Not composite: the runtime's assemblies come precompiled
# already, and compiling all of them into one composite image takes 15 minutes and gigabytes of memory.
echo "package: publishing godo $version (self-contained, single file, ReadyToRun)" >&2
rm -rf "$publish"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed to build the package"
if ! dotnet publish "$here/src/Godo.Cli/Godo.Cli.csproj" -c Release -r linux-x64 --self-contained true \
        -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false -p:DebugType=none -p:UseSharedCompilation=false \
        --artifacts-path "$work/artifacts" -o "$publish" -nologo -v q > "$work/publish.log" 2>&1; then
    grep -E "error" "$work/publish.log" | head -20 >&2 || true
    die "dotnet publish failed; see $work/publish.log"
fi
[[ -x $publish/godo ]] || die "dotnet publish made no $publish/godo"
# LMDB comes with Akka.Cluster.Sharding for durable distributed data, which godo never configures: never loaded.
rm -f "$publish/liblmdb.so"
# Single file bundles every managed assembly and the runtime's native parts; anything else beside it would be lost.
# SQLite (the aggregator's embedded store) is the one native library kept beside it: bundling it would mean extracting
# it at run time into a writable home, which the hardened units do not have. godo loads it from its own directory.
sqlite_lib=libe_sqlite3.so
[[ -f $publish/$sqlite_lib ]] || die "dotnet publish made no $publish/$sqlite_lib"
# NuGet's copy keeps its symbols (lintian: unstripped-binary-or-object); strip comes with binutils, which lintian needs.
if command -v strip >/dev/null; then strip --strip-unneeded "$publish/$sqlite_lib"; fi
extra=$(cd "$publish" && find . -maxdepth 1 -type f ! -name godo ! -name godo-replay ! -name appsettings.json ! -name "$sqlite_lib" | sort)
[[ -z $extra ]] || die "unexpected files beside the single-file binary: $extra"
"$publish/godo" --version >/dev/null || die "the published binary does not run"

# The native replay (src/Godo.Cli.Replay, Native AOT) beside it: the packaged `godo replay` hands itself over to it
# (execve), for a replay without the managed start-up. Linking it needs a C compiler.
echo "package: publishing the native replay (Native AOT)" >&2
rm -rf "$work/native"
native=0
cc=$(bash "$here/scripts/native-replay.sh" "$work/native" "$work/native-artifacts" "$work/native.log") || native=$?
[[ $native != 3 ]] || die "a C compiler (clang or gcc) is needed to link the native replay (apt-get install clang)"
if [[ $native != 0 ]]; then
    grep -E "error" "$work/native.log" | head -20 >&2 || true
    die "the native replay did not build; see $work/native.log"
fi
echo "package: native replay linked with $cc" >&2
install -m 755 "$work/native/godo-replay" "$publish/godo-replay"

# ------------------------------------------------------------------ tar.gz
name="godo-$version-linux-x64"
stage="$work/$name"
rm -rf "$stage"
mkdir -p "$stage"
cp "$publish/godo" "$publish/godo-replay" "$publish/appsettings.json" "$publish/$sqlite_lib" "$stage/"
cp -r "$publish/wwwroot" "$stage/wwwroot"
cp "$here/README.md" "$stage/"
tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
echo "package: $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1); binary $(du -h "$publish/godo" | cut -f1))" >&2

# ------------------------------------------------------------------ .deb
deb="$out/godo_${version}_amd64.deb"
root="$work/deb"
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/godo" "$root/etc/godo" "$root/lib/systemd/system" \
    "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" "$root/usr/share/doc/godo" "$root/usr/share/lintian/overrides"
install -m 755 "$publish/godo" "$root/usr/lib/godo/godo"
install -m 755 "$publish/godo-replay" "$root/usr/lib/godo/godo-replay"
install -m 644 "$publish/$sqlite_lib" "$root/usr/lib/godo/$sqlite_lib"
cp -r "$publish/wwwroot" "$root/usr/lib/godo/wwwroot"
find "$root/usr/lib/godo/wwwroot" -type f -exec chmod 644 {} + && find "$root/usr/lib/godo/wwwroot" -type d -exec chmod 755 {} +
# The binary reads appsettings.json beside its real path: that is the conffile in /etc/godo.
ln -s /etc/godo/appsettings.json "$root/usr/lib/godo/appsettings.json"
ln -s ../lib/godo/godo "$root/usr/bin/godo"
install -m 644 "$pkg/appsettings.json" "$root/etc/godo/appsettings.json"
install -m 644 "$pkg/agent.env" "$root/etc/godo/agent.env"
install -m 640 "$pkg/aggregator.env" "$root/etc/godo/aggregator.env"
install -m 644 "$pkg/godo-agent.service" "$pkg/godo-aggregator.service" "$root/lib/systemd/system/"
install -m 644 "$pkg/sysusers.conf" "$root/usr/lib/sysusers.d/godo.conf"
install -m 644 "$pkg/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/godo.conf"
install -m 644 "$pkg/lintian-overrides" "$root/usr/share/lintian/overrides/godo"
install -m 644 "$pkg/copyright" "$root/usr/share/doc/godo/copyright"
install -m 644 "$here/README.md" "$root/usr/share/doc/godo/README.md"
install -d "$root/usr/share/man/man1"
gzip -9n < "$pkg/godo.1" > "$root/usr/share/man/man1/godo.1.gz" && chmod 644 "$root/usr/share/man/man1/godo.1.gz"
sed "s/@VERSION@/$version/g; s/@DATE@/$(date -uR -d "@$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)")/" \
    "$pkg/changelog" | gzip -9n > "$root/usr/share/doc/godo/changelog.gz"
chmod 644 "$root/usr/share/doc/godo/changelog.gz"
for script in postinst prerm postrm; do install -m 755 "$pkg/$script" "$root/DEBIAN/$script"; done
printf '/etc/godo/appsettings.json\n/etc/godo/agent.env\n/etc/godo/aggregator.env\n' > "$root/DEBIAN/conffiles"
size_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed "s/@VERSION@/$version/; s/@SIZE@/$size_kb/" "$pkg/control" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control" "$root/DEBIAN/conffiles"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "package: $deb ($(du -h "$deb" | cut -f1))" >&2

if ((checks)); then
    # ExecStart's /usr/bin/godo exists only once the package is installed (the tests verify there too, in a container).
    missing_binary="Command /usr/bin/godo is not executable: No such file or directory"
    systemd-analyze verify --man=no "$root/lib/systemd/system/godo-agent.service" "$root/lib/systemd/system/godo-aggregator.service" 2>&1 \
        | { if [[ -x /usr/bin/godo ]]; then cat; else grep -vF "$missing_binary"; fi; } > "$work/verify.log" || true
    [[ ! -s $work/verify.log ]] || { cat "$work/verify.log" >&2; die "systemd-analyze verify found problems (above)"; }
    if command -v lintian >/dev/null; then
        lintian --fail-on warning,error "$deb" >&2 || die "lintian found problems (above)"
        echo "package: lintian and systemd-analyze verify: clean" >&2
    else
        die "lintian is missing (apt-get install lintian, or --no-checks)"
    fi
fi

# ------------------------------------------------------------------ images
((images)) || exit 0
bash "$here/scripts/images.sh" "$version" "$publish" "$work"
