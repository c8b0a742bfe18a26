#!/usr/bin/env bash
# History benchmark (issue 11): a synthetic fleet (H hosts x P processes, R process changes/s fleet-wide, one delta
# per host per 100 ms of event time) written through the history writer's own batch path (HistoryStore.Write: same
# tables, indexes and upserts, hosts interleaved in time order), in SQLite and, when PostgreSQL answers, in
# PostgreSQL. The history grows to each length of --minutes in turn (default 1,3,10); at each, 1,000 tree-at-T
# queries at random hosts and moments over the whole span, through the API's own store code, each checked to hold
# its host's P processes. Prints, per length: build rate, rows, bytes per row, tree-at-T p50/p99/max.
# 24 h at 20k changes/s is 1.7 billion rows (~390 GB): not for this disk. The default run builds 10 minutes (12 M
# changes, ~3 GB) and takes about as long as the machine needs to write them (minutes on a quiet 2-core machine:
# the build rate is printed); --minutes 1,3,10,30,60 takes about 6 times longer and ~18 GB of disk.
# --via recorder sends the deltas through HistoryRecorder as the aggregator does (each version written open, then
# closed: about half the build rate); the default writes each version once, closed.
# --query-only queries the history the last run left (bench/out/history/godo.db) without building; --cold drops the
# kernel's page cache before each query (root), so each one reads its pages from the disk, as with a history far
# larger than memory.
# Usage: bench/history.sh [--hosts 200] [--procs 500] [--rate 20000] [--minutes 1,3,10] [--queries 1000] [--via rows|recorder] [--query-only] [--cold] [--journal postgres://...]
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$here/bench/out/history"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "building (Release)..." >&2
dotnet build "$here/bench/HistoryBench/HistoryBench.csproj" -c Release -o "$out/bin" -nologo -v q >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" >&2
# --query-only measures the history a run before left; any other run starts from a new file.
[[ " $* " == *" --query-only "* ]] || rm -f "$out"/godo.db*
echo "== SQLite ($out/godo.db)"
dotnet "$out/bin/HistoryBench.dll" --data "$out" "$@"
# PostgreSQL only when asked (a second database; the 10-minute history is ~3 GB more on this disk).
pg="${GODO_BENCH_POSTGRES:-}"
if [ -z "$pg" ]; then
  echo "== PostgreSQL: skipped (GODO_BENCH_POSTGRES=postgres://godo:godo-test@127.0.0.1:5432/godo_bench to run it too)"
elif psql "${pg%/*}/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
  psql "${pg%/*}/postgres" -qtAc "create database ${pg##*/}" >/dev/null 2>&1 || true
  echo "== PostgreSQL (${pg##*@})"
  dotnet "$out/bin/HistoryBench.dll" --journal "$pg" "$@"
else
  echo "== PostgreSQL: not reachable at ${pg##*@}: skipped"
fi
