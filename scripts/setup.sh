#!/usr/bin/env bash
# Prepare a Debian 12 machine (run as root) for godo's tests:
#   - install docker.io busybox-static auditd laurel chromium clang (only what is missing; clang links the native replay)
#   - make sure auditd is NOT running as a service (godo itself talks to the kernel audit subsystem)
#   - start containerd and dockerd in the background when they are not answering (no systemd here)
#   - build the test image godo/busybox:1 from the host's static busybox when it is missing
#   - build godo/debian-minbase:bookworm (debootstrap, no .NET) when it is missing: the package tests install the .deb in it
#   - start Debian's PostgreSQL cluster and create the role godo (CREATEDB) the storage tests make their databases with
# Idempotent; a second run only checks and takes about a second.
set -euo pipefail

PACKAGES=(docker.io busybox-static auditd laurel chromium debootstrap lintian postgresql clang)
IMAGE="${GODO_TEST_IMAGE:-godo/busybox:1}"   # override only to test this script
DEBIAN_IMAGE="${GODO_DEBIAN_IMAGE:-godo/debian-minbase:bookworm}"
DOCKER_TIMEOUT="${GODO_DOCKER_TIMEOUT:-60}"
CONTAINERD_SOCK=/run/containerd/containerd.sock
# The tests' PostgreSQL role; the password only guards a loopback cluster that exists for the tests.
PG_ROLE=godo
PG_PASSWORD="${GODO_PG_PASSWORD:-godo-test}"

log()  { echo "setup: $*"; }
fail() { echo "setup: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "must run as root"
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- packages
missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    # Keep package maintainer scripts from starting services (auditd, docker): we start what we need ourselves.
    created_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    # One apt at a time on a machine shared by several checkouts running this script.
    apt_install() {
        flock /tmp/godo-apt.lock apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
    }
    # apt-get update only when needed: a package unknown to the lists we have, or an install that
    # fails on stale lists (retried once after an update).
    updated=0
    if ! apt_install --simulate "${missing[@]}" >/dev/null 2>&1; then
        log "apt-get update"
        flock /tmp/godo-apt.lock apt-get update -qq || fail "apt-get update failed"
        updated=1
    fi
    if ! apt_install "${missing[@]}" >/tmp/godo-apt.log 2>&1; then
        ok=0
        if ((!updated)); then
            log "install failed on current lists; apt-get update and retry"
            flock /tmp/godo-apt.lock apt-get update -qq && apt_install "${missing[@]}" >/tmp/godo-apt.log 2>&1 && ok=1
        fi
        if ((!ok)); then
            tail -n 30 /tmp/godo-apt.log >&2
            ((created_policy)) && rm -f /usr/sbin/policy-rc.d
            fail "apt-get install ${missing[*]} failed (full log: /tmp/godo-apt.log)"
        fi
    fi
    ((created_policy)) && rm -f /usr/sbin/policy-rc.d
    log "packages installed"
else
    log "packages already installed"
fi

# ---------------------------------------------------------------- auditd must not run
# Disable it for any init that honours rc links (harmless when there is none).
if command -v update-rc.d >/dev/null 2>&1 && [[ -e /etc/init.d/auditd ]]; then
    update-rc.d auditd disable >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now auditd >/dev/null 2>&1 || true
fi
if pids=$(pidof auditd); then
    log "stopping auditd ($pids)"
    kill $pids 2>/dev/null || true
    for _ in $(seq 1 50); do pidof auditd >/dev/null || break; sleep 0.1; done
    if pids=$(pidof auditd); then kill -9 $pids 2>/dev/null || true; sleep 0.2; fi
    pidof auditd >/dev/null && fail "auditd is still running"
fi

# ---------------------------------------------------------------- cgroups
# The VM init normally mounts the cgroup v1 hierarchies; mount them ourselves when it did not.
if ! grep -q ' /sys/fs/cgroup/[^ ]* cgroup' /proc/mounts && ! grep -q ' /sys/fs/cgroup cgroup2' /proc/mounts; then
    if command -v cgroupfs-mount >/dev/null 2>&1; then
        log "mounting cgroup hierarchies (cgroupfs-mount)"
        cgroupfs-mount || fail "cgroupfs-mount failed"
    else
        fail "no cgroup hierarchy is mounted under /sys/fs/cgroup and cgroupfs-mount is missing"
    fi
fi

# ---------------------------------------------------------------- containerd + dockerd
docker_ok() { timeout 10 docker info >/dev/null 2>&1; }

if docker_ok; then
    log "docker already answering"
else
    if ! pidof containerd >/dev/null; then
        log "starting containerd (log: /var/log/godo-containerd.log)"
        setsid nohup containerd >>/var/log/godo-containerd.log 2>&1 </dev/null &
        for _ in $(seq 1 $((DOCKER_TIMEOUT * 10))); do [[ -S $CONTAINERD_SOCK ]] && break; sleep 0.1; done
        [[ -S $CONTAINERD_SOCK ]] || fail "containerd did not create $CONTAINERD_SOCK within ${DOCKER_TIMEOUT}s (see /var/log/godo-containerd.log)"
    fi
    if ! pidof dockerd >/dev/null; then
        log "starting dockerd (log: /var/log/godo-dockerd.log)"
        setsid nohup dockerd --containerd="$CONTAINERD_SOCK" >>/var/log/godo-dockerd.log 2>&1 </dev/null &
    fi
    deadline=$((SECONDS + DOCKER_TIMEOUT))
    until docker_ok; do
        ((SECONDS < deadline)) || {
            tail -n 20 /var/log/godo-dockerd.log >&2 2>/dev/null || true
            fail "docker did not answer 'docker info' within ${DOCKER_TIMEOUT}s (see /var/log/godo-dockerd.log)"
        }
        pidof dockerd >/dev/null || {
            tail -n 20 /var/log/godo-dockerd.log >&2 2>/dev/null || true
            fail "dockerd exited (see /var/log/godo-dockerd.log)"
        }
        sleep 0.5
    done
    log "docker is up"
fi

# ---------------------------------------------------------------- test image
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present"
else
    log "building $IMAGE from /bin/busybox"
    [[ -x /bin/busybox ]] || fail "/bin/busybox missing (package busybox-static)"
    rootfs=$(mktemp -d /tmp/godo-busybox.XXXXXX)
    trap 'rm -rf "$rootfs"' EXIT
    mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev}
    chmod 1777 "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
        [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
    echo 'root:x:0:' > "$rootfs/etc/group"
    tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/bin' -m 'godo test image: static busybox' - "$IMAGE" >/dev/null \
        || fail "docker import of $IMAGE failed"
    docker run --rm "$IMAGE" sh -c 'true' || fail "$IMAGE does not run"
    log "image $IMAGE built"
fi

# ---------------------------------------------------------------- a fresh Debian without .NET
# The package tests install godo's .deb here: Debian's minimal base plus systemd (for `systemd-analyze verify`) and
# libssl3, built once from the configured mirror and kept as an image tag.
if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    log "image $DEBIAN_IMAGE present"
else
    log "building $DEBIAN_IMAGE (debootstrap --variant=minbase bookworm; a few minutes, once)"
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
    [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $2 ~ /^http/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    mirror=${mirror:-http://deb.debian.org/debian}
    chroot_dir=$(mktemp -d /tmp/godo-debian.XXXXXX)
    if ! debootstrap --variant=minbase --include=systemd,libssl3 bookworm "$chroot_dir" "$mirror" >/tmp/godo-debootstrap.log 2>&1; then
        tail -n 20 /tmp/godo-debootstrap.log >&2
        rm -rf "$chroot_dir"
        fail "debootstrap failed (full log: /tmp/godo-debootstrap.log)"
    fi
    rm -rf "$chroot_dir"/var/cache/apt/archives/*.deb "$chroot_dir"/var/lib/apt/lists/*
    tar -C "$chroot_dir" --numeric-owner -c . | docker import -c 'CMD ["/bin/bash"]' -m 'Debian bookworm minbase + systemd, for godo package tests' - "$DEBIAN_IMAGE" >/dev/null \
        || { rm -rf "$chroot_dir"; fail "docker import of $DEBIAN_IMAGE failed"; }
    rm -rf "$chroot_dir"
    docker run --rm "$DEBIAN_IMAGE" sh -c '! command -v dotnet' || fail "$DEBIAN_IMAGE does not run, or has dotnet"
    log "image $DEBIAN_IMAGE built"
fi

# ---------------------------------------------------------------- PostgreSQL for the storage tests
# Debian's cluster (pg_ctlcluster: no systemd here), on loopback only, and a role godo with a password and CREATEDB:
# each test makes a database of its own and drops it (tests/Shared/PostgresDatabase.cs).
pg_ok() { runuser -u postgres -- psql -qAtX -c 'select 1' >/dev/null 2>&1; }
if pg_ok; then
    log "postgresql already answering"
else
    read -r pg_version pg_cluster < <(pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 {print $1, $2}') || true
    if [[ -z ${pg_version:-} ]]; then
        pg_version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
        pg_cluster=main
        log "creating postgresql cluster $pg_version/$pg_cluster"
        pg_createcluster "$pg_version" "$pg_cluster" >/dev/null || fail "pg_createcluster $pg_version $pg_cluster failed"
    fi
    log "starting postgresql $pg_version/$pg_cluster"
    pg_ctlcluster "$pg_version" "$pg_cluster" start -o "-c listen_addresses=localhost" \
        || fail "pg_ctlcluster $pg_version $pg_cluster start failed (see /var/log/postgresql/)"
    for _ in $(seq 1 100); do pg_ok && break; sleep 0.1; done
    pg_ok || fail "postgresql does not answer (see /var/log/postgresql/)"
fi
pg_sql() { runuser -u postgres -- psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
pg_role_ok() {
    [[ $(PGPASSWORD=$PG_PASSWORD psql -qAtX -h localhost -U "$PG_ROLE" -d postgres -c 'select rolcreatedb from pg_roles where rolname = current_user' 2>/dev/null) == t ]]
}
if ! pg_role_ok; then
    verb=create
    [[ -n $(pg_sql -c "select 1 from pg_roles where rolname = '$PG_ROLE'") ]] && verb=alter
    pg_sql -c "$verb role $PG_ROLE login createdb password '$PG_PASSWORD'" >/dev/null || fail "cannot $verb the postgresql role $PG_ROLE"
    pg_role_ok || fail "the postgresql role $PG_ROLE cannot log in on localhost with its password (pg_hba.conf?)"
    log "postgresql role $PG_ROLE ready"
fi
# DROP DATABASE ... WITH (FORCE) must also end an autovacuum worker busy in the database; PostgreSQL lets a role do
# that only with pg_signal_backend (without it the drop fails: "must be a member of the role whose process is being
# terminated"). A throwaway role on a loopback cluster, so the grant opens nothing.
if [[ -z $(pg_sql -c "select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member where r.rolname = 'pg_signal_backend' and u.rolname = '$PG_ROLE'") ]]; then
    pg_sql -c "grant pg_signal_backend to $PG_ROLE" >/dev/null || fail "cannot grant pg_signal_backend to the postgresql role $PG_ROLE"
    log "postgresql role $PG_ROLE may end other backends in its databases (pg_signal_backend)"
fi
log "postgresql up: postgres://$PG_ROLE:***@localhost:5432/"

log "done"
