#!/usr/bin/env bash
# History benchmark (issue 11): a synthetic history (H hosts x P processes, R process changes/s, D minutes of event
# time, keyframes every minute as the recorder writes them) loaded into the history's tables, in SQLite and, when
# PostgreSQL answers, in PostgreSQL; then 1,000 random tree-at-T queries through the API's own store code.
# Prints rows loaded, bytes per row, load rate, and tree-at-T p50/p99. 24 h at 20k changes/s is 1.7 billion rows:
# choose --minutes for what the machine holds (the query reads one keyframe and at most a minute of versions, so
# its cost grows with the log of the history, not with its length).
# Usage: bench/history.sh [--hosts 200] [--procs 500] [--rate 20000] [--minutes 10] [--queries 1000] [--journal postgres://...]
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$here/bench/out/history"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "building (Release)..." >&2
dotnet build "$here/bench/HistoryBench/HistoryBench.csproj" -c Release -o "$out/bin" -nologo -v q >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" >&2
rm -f "$out"/godo.db*
echo "== SQLite ($out/godo.db)"
dotnet "$out/bin/HistoryBench.dll" --data "$out" "$@"
pg="${GODO_BENCH_POSTGRES:-postgres://godo:godo@127.0.0.1:5432/godo_bench}"
if command -v psql >/dev/null && psql "${pg%/*}/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
  psql "${pg%/*}/postgres" -qtAc "create database ${pg##*/}" >/dev/null 2>&1 || true
  echo "== PostgreSQL (${pg##*@})"
  dotnet "$out/bin/HistoryBench.dll" --journal "$pg" "$@"
else
  echo "== PostgreSQL: not reachable at ${pg##*@} (set GODO_BENCH_POSTGRES): skipped"
fi
