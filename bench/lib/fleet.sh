# Sourced by the benches that run `godo aggregator` processes on one PostgreSQL with Godo.Bench's simulated fleet
# (bench/failover.sh, bench/fleet-memory.sh): where things are, the build, and a fresh database per run.
# Sets here (the repository), out (bench/out/NAME), server (GODO_BENCH_POSTGRES or the role of scripts/setup.sh).
# fleet_init NAME: the above, and bench/out/NAME made.
fleet_init() {
    here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
    out="$here/bench/out/$1"
    mkdir -p "$out"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    server="${GODO_BENCH_POSTGRES:-postgres://godo:godo-test@localhost:5432}"
}

# The binaries users run (./godo builds them when stale) and the load generator, in Release.
fleet_build() {
    echo "building (Release)..." >&2
    "$here/godo" --help >/dev/null
    dotnet build "$here/bench/Godo.Bench/Godo.Bench.csproj" -c Release -o "$out/bench" -nologo -v q >/dev/null
    fleet_started=$SECONDS
}

# Godo.Bench with the godo just built; its arguments follow.
fleet_bench() { dotnet "$out/bench/Godo.Bench.dll" --godo "$here/.build/bin/godo.dll" "$@"; }

psql_admin() { psql -qAtX "$server/postgres" -c "$1"; }

# fleet_db_create NAME: a new database NAME, dropped on exit however the script ends (or by fleet_db_drop).
fleet_db_create() {
    db="$1"
    psql_admin "create database $db"
    trap 'psql_admin "drop database if exists $db with (force)" || true' EXIT
}

fleet_db_drop() {
    psql_admin "drop database if exists $db with (force)"
    trap - EXIT
}

# An option the script does not take: one line, exit 2.
fleet_unknown_option() {
    echo "$(basename "$0"): unknown option $1 (see the usage at the top of the script)" >&2
    exit 2
}

# How long the run took after the build.
fleet_took() { echo "(took $(( (SECONDS - fleet_started) / 60 )) min $(( (SECONDS - fleet_started) % 60 )) s)"; }
