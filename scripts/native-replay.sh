#!/usr/bin/env bash
# Builds `godo replay` as a native executable (src/Godo.Cli.Replay, Native AOT) into OUT/godo-replay, the same way
# for the launcher (./godo) and the packages (scripts/package.sh). Linking needs a C compiler: clang, else gcc.
# Usage: scripts/native-replay.sh OUT ARTIFACTS LOG
# Prints the compiler it linked with; exit 3 when there is none, 1 when the build fails (the output is in LOG).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
(($# == 3)) || { echo "usage: scripts/native-replay.sh OUT ARTIFACTS LOG" >&2; exit 2; }
out="$1" artifacts="$2" log="$3"
cc=""
for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 gcc; do
  if command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
done
[ -n "$cc" ] || exit 3
dotnet publish "$here/src/Godo.Cli.Replay/Godo.Cli.Replay.csproj" -c Release -r linux-x64 -p:CppCompilerAndLinker="$cc" \
  -p:DebugType=none -p:UseSharedCompilation=false --artifacts-path "$artifacts" -o "$out" -nologo -v q > "$log" 2>&1 || exit 1
echo "$cc"
