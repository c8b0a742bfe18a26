#!/usr/bin/env bash
# Failover (issue 11): time for a killed member's hosts to answer again. 3 `godo aggregator` processes on loopback
# sharing one PostgreSQL (a fresh database, dropped after), a simulated fleet fed through a real ClusterClient; then
# kill -9 of a member, 3 times: the oldest (the shard coordinator moves with it), a younger one, the oldest again; each
# time the killed member is started again and the spread left to settle before the next kill. Per kill: the seconds
# from the kill until every one of its hosts has answered its tree from a survivor (all asked in parallel, every
# 200 ms), and the tree queries that failed in the 10 s after (should be 0); then the median and the max.
# Needs the PostgreSQL of scripts/setup.sh (role godo) or GODO_BENCH_POSTGRES=postgres://USER:PW@HOST:PORT.
# Usage: bench/failover.sh [--kills N] [--hosts N] [--procs N] [--rate N]
# Defaults: 3 kills, 30 hosts x 200 processes, 600 process changes/s: about 4 minutes on a quiet 2-core machine.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/fleet.sh"
fleet_init failover
kills=3 hosts=30 procs=200 rate=600
while [[ $# -gt 0 ]]; do
    case "$1" in
        --kills) kills="$2"; shift 2 ;;
        --hosts) hosts="$2"; shift 2 ;;
        --procs) procs="$2"; shift 2 ;;
        --rate) rate="$2"; shift 2 ;;
        *) fleet_unknown_option "$1" ;;
    esac
done
fleet_build
fleet_db_create "godo_failover_$$"
echo "failover: 3 members, $hosts hosts x $procs processes, $rate changes/s, $kills kills; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
fleet_bench --members 3 --kills "$kills" --journal "$server/$db" \
    --hosts "$hosts" --procs "$procs" --rate "$rate" --seconds 5 | awk -F'\t' '$1 == "failover"' > "$out/rows.tsv"
awk -F'\t' '
    { t[++n] = $5 + 0; if ($5 ~ /^>/) late++
      printf "kill %s: member %s (%s, %s hosts): time for a killed member'\''s hosts to answer again %s s; %s of %s tree queries failed in the next 10 s\n", $9, $3, $8, $4, $5, $7, $6 }
    END {
        if (!n) { print "no failover measured"; exit 1 }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
        median = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
        printf "time for a killed member'\''s hosts to answer again over %d kills: median %.1f s, max %.1f s%s\n", n, median, t[n], late ? " (some never answered: see above)" : ""
    }' "$out/rows.tsv"
fleet_took
