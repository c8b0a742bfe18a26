#!/usr/bin/env bash
# Ingest into the aggregator's journal, SQLite and PostgreSQL side by side in one run (bench/storage: host entities
# persisting HostDeltas with PersistAll through the real Akka.Persistence.Sql journal, as WithGodoPersistence sets it
# up). Prints persisted deltas/s, process changes/s, and bytes the store grew per process change.
# Root; PostgreSQL as scripts/setup.sh starts it (role godo). Each store is new and removed afterwards.
# Env: HOSTS (entities, default 20), DELTAS (default 20000), CHANGES (process changes per delta, default 10),
#      BATCH (deltas per PersistAll, default 5), GODO_PG_PASSWORD (default godo-test).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
HOSTS="${HOSTS:-20}" DELTAS="${DELTAS:-20000}" CHANGES="${CHANGES:-10}" BATCH="${BATCH:-5}"
PG_PASSWORD="${GODO_PG_PASSWORD:-godo-test}"
db="godo_bench_$$"
work=$(mktemp -d /tmp/godo-storage-bench.XXXXXX)
cleanup() {
    runuser -u postgres -- psql -qAtX -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

runuser -u postgres -- psql -qAtX -c 'select 1' >/dev/null 2>&1 || bash scripts/setup.sh >/dev/null
runuser -u postgres -- psql -qAtX -c "create database $db owner godo" >/dev/null
dotnet build bench/storage -c Release -v q -nologo -o "$work/bin" >/dev/null

echo "storage bench: $HOSTS host entities, $DELTAS deltas of $CHANGES process changes, PersistAll of $BATCH; load: $(uptime | sed 's/.*load average: //')"
printf '%-9s %9s %11s %8s %9s %11s %13s %8s\n' store deltas changes seconds deltas/s changes/s bytes/change cpu-s
for store in sqlite postgres; do
    if [[ $store == sqlite ]]; then target=(--data "$work/sqlite"); else target=(--journal "postgres://godo:$PG_PASSWORD@localhost:5432/$db"); fi
    dotnet "$work/bin/StorageBench.dll" --hosts "$HOSTS" --deltas "$DELTAS" --changes "$CHANGES" --batch "$BATCH" "${target[@]}" 2>"$work/$store.log" \
        || { tail -n 20 "$work/$store.log" >&2; echo "storage bench: the $store run failed" >&2; exit 1; }
done > "$work/rows"
awk -F'\t' '{printf "%-9s %9s %11s %8s %9s %11s %13s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8}' "$work/rows"
