#!/usr/bin/env bash
# Fleet memory (issue 11): the same simulated fleet into 1, 2 and 3 aggregators (`godo aggregator` processes, hosts
# sharded over them, one shared PostgreSQL store: a fresh database per run, dropped after). One table at the end: per
# member, the hosts and processes it holds, its managed heap (after a full GC) and RSS, the same member's figures
# empty (before the fleet came: runtime, Akka, web host) and what the fleet added over them; per run with 2 or 3
# members, kill -9 of a member (with 3, the one holding most hosts; with 2, the one whose loss keep-majority survives)
# and the time until every one of its hosts answers its tree from a
# survivor (polled through the API), then the tree queries that failed in the next 10 s (should be 0).
# Loopback only. Needs the PostgreSQL of scripts/setup.sh (role godo) or GODO_BENCH_POSTGRES=postgres://USER:PW@HOST:PORT.
# Each member's output, stamped with the bench's clock, is kept in bench/out/fleet-memory/logs/N/ (the kill's moment
# on that clock is printed), to break a failover down.
# Usage: bench/fleet-memory.sh [--hosts N] [--procs N] [--rate N] [--seconds N] [--members "1 2 3"] [--kills K]
# --kills K (runs of 3 members): K kills in turn, the oldest (the coordinator moves) first, then a younger one, each
# killed member started again before the next.
# Defaults: 200 hosts x 500 processes, 2,000 process changes/s, 20 s of load after the spread settles: about 8 minutes
# on a quiet 2-core machine (each run: start, snapshots in, up to 25 s for the shards to settle, load, failover).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/fleet.sh"
fleet_init fleet-memory
runs="1 2 3"
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --members) runs="$2"; shift 2 ;;
        --hosts|--procs|--rate|--seconds|--kills) args+=("$1" "$2"); shift 2 ;;
        *) fleet_unknown_option "$1" ;;
    esac
done
for d in "--hosts 200" "--procs 500" "--rate 2000" "--seconds 20"; do
    [[ " ${args[*]:-} " == *" ${d%% *} "* ]] || args+=($d)
done
fleet_build
rows="$out/rows.tsv"
: > "$rows"
echo "fleet memory: ${args[*]}; $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load: $(uptime | sed 's/.*load average: //')"
for members in $runs; do
    fleet_db_create "godo_bench_$$_$members"
    rm -rf "$out/logs/$members"
    # A run that stops (a member died or stopped answering) leaves an "abandoned" row; the other runs go on.
    fleet_bench --members "$members" --journal "$server/$db" --member-logs "$out/logs/$members" "${args[@]}" | awk -F'\t' '$1 == "member" || $1 == "failover" || $1 == "abandoned"' >> "$rows" || true
    fleet_db_drop
done
awk -F'\t' '
    $1 == "member" {
        if (!header++) printf "%-7s %-6s %6s %9s %11s %9s %14s %12s %15s %13s\n", "members", "member", "hosts", "processes",
            "managed MB", "RSS MB", "empty managed", "empty RSS", "managed - empty", "RSS - empty"
        printf "%-7s %-6s %6s %9s %11s %9s %14s %12s %15s %13s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
    }
    $1 == "failover" { fail[++n] = sprintf("%s members: kill -9 of member %s (%s hosts, " $8 "): all of them answer again from the others after %s s; %s of %s tree queries failed in the next 10 s", $2, $3, $4, $5, $7, $6) }
    $1 == "abandoned" { fail[++n] = sprintf("%s members: run abandoned: %s (%s); %s", $2, $4, $3, $5) }
    END { if (n) print ""; for (i = 1; i <= n; i++) print fail[i] }' "$rows"
fleet_took
