#!/usr/bin/env bash
# Fleet memory (issue 11): the same simulated fleet into 1, 2 and 3 aggregators (`godo aggregator` processes, hosts
# sharded over them, one shared PostgreSQL journal: a fresh database per run, dropped after). Prints, per run, each
# member's hosts held, processes, managed heap and RSS; with 2 and 3 members, the time for a kill -9'd member's hosts
# to answer again from the others. Loopback only. Needs the PostgreSQL of scripts/setup.sh (role godo) or GODO_BENCH_POSTGRES.
# Usage: bench/fleet-memory.sh [--hosts N] [--procs N] [--rate N] [--seconds N]
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$here/bench/out/fleet-memory"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
server="${GODO_BENCH_POSTGRES:-postgres://godo:godo-test@localhost:5432}"
echo "building (Release)..." >&2
"$here/godo" --help >/dev/null
dotnet build "$here/bench/Godo.Bench/Godo.Bench.csproj" -c Release -o "$out/bench" -nologo -v q >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" >&2
psql_admin() { psql -qAtX "$server/postgres" -c "$1"; }
args=("$@")
for d in "--hosts 60" "--procs 300" "--rate 3000" "--seconds 10"; do
    [[ " $* " == *" ${d%% *} "* ]] || args+=($d)
done
for members in 1 2 3; do
    db="godo_bench_$$_$members"
    psql_admin "create database $db"
    trap 'psql_admin "drop database if exists $db with (force)" || true' EXIT
    dotnet "$out/bench/Godo.Bench.dll" --godo "$here/.build/bin/godo.dll" --members "$members" --journal "$server/$db" "${args[@]}"
    psql_admin "drop database if exists $db with (force)"
    trap - EXIT
done
