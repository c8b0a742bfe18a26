#!/usr/bin/env bash
# Ingest into the aggregator's journal, SQLite and PostgreSQL side by side in one run (bench/storage: host entities
# persisting HostDeltas with PersistAll through the real Akka.Persistence.Sql journal, as WithGodoPersistence sets it
# up). Prints persisted deltas/s, process changes/s, and bytes the store grew per process change.
# Root; PostgreSQL as scripts/setup.sh starts it (role godo). Each store is new and removed afterwards.
# Env: HOSTS (entities, default 20), DELTAS (default 20000), CHANGES (process changes per delta, default 10),
#      BATCH (deltas per PersistAll, default 5), GODO_PG_PASSWORD (default godo-test).
# Then the history's writes (HistoryStore.Write, batched, against linq2db's upsert per row it replaced, the same
# batches alternately into two new stores of each kind): HISTORY_WRITES writes of 250 ms of event time (default 40)
# of HOSTS hosts, CHANGES process changes per host per 100 ms. Prints rows/s, process versions/s and bytes the store
# grew per process version stored. About 2-4 minutes in all under load (the per-row path is the slow part).
#
# bench/storage.sh --steady [SECONDS]: retention instead. A whole aggregator per store under steady load (HOSTS hosts,
# default 10, each a delta every 100 ms in which 2 processes start and 2 exit) with a history retention of RETENTION
# seconds (default 20); every 10 s it prints the store's size (godo_store_bytes), the history's process versions and
# the journal's and snapshot store's rows. Flat after the first RETENTION s (PostgreSQL: after its first autovacuum,
# about a minute) means retention works. SECONDS per store, default 180: about 7 minutes in all with the build.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$here"
steady=""
if [[ ${1:-} == --steady ]]; then steady="${2:-180}"; fi
HOSTS="${HOSTS:-$([[ -n $steady ]] && echo 10 || echo 20)}" DELTAS="${DELTAS:-20000}" CHANGES="${CHANGES:-10}" BATCH="${BATCH:-5}"
PG_PASSWORD="${GODO_PG_PASSWORD:-godo-test}"
db="godo_bench_$$"
HISTORY_WRITES="${HISTORY_WRITES:-40}"
work=$(mktemp -d /tmp/godo-storage-bench.XXXXXX)
cleanup() {
    runuser -u postgres -- psql -qAtX -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
    runuser -u postgres -- psql -qAtX -c "drop database if exists ${db}_rows with (force)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

runuser -u postgres -- psql -qAtX -c 'select 1' >/dev/null 2>&1 || bash scripts/setup.sh >/dev/null
runuser -u postgres -- psql -qAtX -c "create database $db owner godo" >/dev/null
runuser -u postgres -- psql -qAtX -c "create database ${db}_rows owner godo" >/dev/null
dotnet build bench/storage -c Release -v q -nologo -o "$work/bin" >/dev/null

if [[ -n $steady ]]; then
    RETENTION="${RETENTION:-20}"
    echo "storage bench --steady: $HOSTS hosts, a delta each every 100 ms (2 starts, 2 exits), history retention ${RETENTION}s, $steady s per store; load: $(uptime | sed 's/.*load average: //')"
    printf '%-9s %7s %8s %12s %9s %9s %9s %7s\n' store second deltas store-bytes versions journal snapshots cpu-s
    for store in sqlite postgres; do
        if [[ $store == sqlite ]]; then target=(--data "$work/sqlite"); else target=(--journal "postgres://godo:$PG_PASSWORD@localhost:5432/$db"); fi
        # pipefail: a failed run fails the pipeline.
        if ! dotnet "$work/bin/StorageBench.dll" --steady "$steady" --retention "$RETENTION" --hosts "$HOSTS" "${target[@]}" 2>"$work/$store.log" \
            | awk -F'\t' '{printf "%-9s %7s %8s %12s %9s %9s %9s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8; fflush()}'; then
            tail -n 20 "$work/$store.log" >&2; echo "storage bench: the $store run failed" >&2; exit 1
        fi
    done
    exit 0
fi
echo "storage bench: $HOSTS host entities, $DELTAS deltas of $CHANGES process changes, PersistAll of $BATCH; load: $(uptime | sed 's/.*load average: //')"
printf '%-9s %9s %11s %8s %9s %11s %13s %8s\n' store deltas changes seconds deltas/s changes/s bytes/change cpu-s
for store in sqlite postgres; do
    if [[ $store == sqlite ]]; then target=(--data "$work/sqlite"); else target=(--journal "postgres://godo:$PG_PASSWORD@localhost:5432/$db"); fi
    dotnet "$work/bin/StorageBench.dll" --hosts "$HOSTS" --deltas "$DELTAS" --changes "$CHANGES" --batch "$BATCH" "${target[@]}" 2>"$work/$store.log" \
        || { tail -n 20 "$work/$store.log" >&2; echo "storage bench: the $store run failed" >&2; exit 1; }
done > "$work/rows"
awk -F'\t' '{printf "%-9s %9s %11s %8s %9s %11s %13s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8}' "$work/rows"

echo
echo "history writes: $HOSTS hosts, $CHANGES process changes per host per 100 ms, $HISTORY_WRITES writes of 250 ms each; batched (HistoryStore.Write) and per-row (linq2db InsertOrReplace, the old path) alternated; load: $(uptime | sed 's/.*load average: //')"
printf '%-9s %-8s %8s %8s %8s %11s %9s %14s %8s\n' store path rows seconds rows/s versions/s versions bytes/version cpu-s
for store in sqlite postgres; do
    if [[ $store == sqlite ]]; then target=(--data "$work/history"); else target=(--journal "postgres://godo:$PG_PASSWORD@localhost:5432/$db" --journal2 "postgres://godo:$PG_PASSWORD@localhost:5432/${db}_rows"); fi
    dotnet "$work/bin/StorageBench.dll" --history "$HISTORY_WRITES" --hosts "$HOSTS" --changes "$CHANGES" "${target[@]}" 2>"$work/history-$store.log" \
        || { tail -n 20 "$work/history-$store.log" >&2; echo "storage bench: the $store history run failed" >&2; exit 1; }
done | awk -F'\t' '{printf "%-9s %-8s %8s %8s %8s %11s %9s %14s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9; fflush()}'
