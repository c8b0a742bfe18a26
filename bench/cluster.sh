#!/usr/bin/env bash
# Cluster benchmark (issue 4): simulated agents, 200 hosts x 500 processes, 20k process changes/s spread over them
# (one delta per host per 100 ms, as real agents batch), into one aggregator (`godo aggregator`, its own OS process)
# through a real ClusterClient. Prints the aggregator's memory per process, p50/p99 of /api/hosts/{h}/tree and
# /api/containers under that load, and how long a second aggregator takes to converge. Loopback only.
# Usage: bench/cluster.sh [--hosts N] [--procs N] [--rate N] [--seconds N]
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$here/bench/out/cluster"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "building (Release)..." >&2
"$here/godo" --help >/dev/null   # the aggregators run the binaries users run (./godo builds them when stale)
dotnet build "$here/bench/Godo.Bench/Godo.Bench.csproj" -c Release -o "$out/bench" -nologo -v q >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" >&2
exec dotnet "$out/bench/Godo.Bench.dll" --godo "$here/.build/bin/godo.dll" "$@"
