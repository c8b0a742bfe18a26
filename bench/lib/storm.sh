# Sourced by bench/agent-figures.sh and bench/storm.sh: one exec storm inside a container, measured on one process
# (a godo agent or auditd). Needs $work (a scratch folder), $container (a running busybox container), $STORM (execs);
# the caller holds /tmp/godo-audit.lock. Sourcing it sets a trap that stops the
# agent, perf and auditd the caller started ($agent_pid, $perf_pid, $auditd_pid), puts back the state save_audit_state found, removes the
# container and $work.
CLK=$(getconf CLK_TCK)
kauditd=$(pgrep -x kauditd)

status() { auditctl -s | awk -v k="$1" '$1 == k {print $2}'; }
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime+stime (fields 14, 15)
secs() { awk -v t="$1" -v c="$CLK" 'BEGIN {printf "%.2f", t / c}'; }
now() { date +%s.%N; }
agent_pid="" auditd_pid="" perf_pid=""
# save_audit_state: what restore() puts back; call it once the lock is held (another holder's agent may be registered before).
save_audit_state() {
  found_pid=$(status pid) found_enabled=$(status enabled) found_backlog=$(status backlog_limit) found_wait=$(status backlog_wait_time)
}
found_enabled="" found_pid=""
restore() {
  [ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid" 2>/dev/null || true
  [ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
  auditd_stop
  [ -n "$found_enabled" ] || return 0
  auditctl -e "$found_enabled" -b "$found_backlog" --backlog_wait_time "$found_wait" >/dev/null 2>&1 || true
}
cleanup() {
  restore
  docker rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
storm() { docker exec "$container" sh -c "i=0; while [ \$i -lt $1 ]; do /bin/true; i=\$((i+1)); done"; }

# thread_ticks PID: "tid name ticks" per thread (threads of one name summed later), for where a storm's CPU went.
thread_ticks() {
  local t stat
  for t in /proc/"$1"/task/*; do
    { read -r stat <"$t/stat" && name=$(cat "$t/comm"); } 2>/dev/null || continue
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo "${t##*/} ${name// /_} $(( ${12} + ${13} ))"
  done
}

# Waits until PID's CPU over one second is back to its idle rate (IDLE ticks/s, plus 2): the reader has caught up.
wait_caught_up() {
  local pid=$1 idle=$2 a b
  for _ in $(seq 1 60); do
    a=$(ticks "$pid"); sleep 1; b=$(ticks "$pid")
    [ $((b - a)) -le $((idle + 2)) ] && return 0
  done
  echo "pid $pid did not get back to its idle CPU rate within 60 s" >&2
}

# measure NAME PID: CPU of PID (and of kauditd) over one storm, from its start until PID is back to its idle rate
# (the catch-up included), minus PID's idle rate over that window (this is a shared machine: other processes keep
# an audit reader a little busy); the storm's wall time, and the kernel lost counter. A 500-exec warm-up storm first.
# Appends the line to $work/figures.txt; with THREADS=1, also where PID's CPU went, thread by thread.
measure() {
  local name=$1 pid=$2 c0 c1 k0 k1 l0 l1 t0 t1 t2 i0 i1 idle th0
  sleep 2
  i0=$(ticks "$pid"); sleep 5; i1=$(ticks "$pid")
  idle=$(( (i1 - i0 + 4) / 5 ))
  storm 500
  wait_caught_up "$pid" "$idle"
  th0=$(thread_ticks "$pid")
  c0=$(ticks "$pid"); k0=$(ticks "$kauditd"); l0=$(status lost); t0=$(now)
  storm "$STORM"
  t1=$(now)
  wait_caught_up "$pid" "$idle"
  c1=$(ticks "$pid"); k1=$(ticks "$kauditd"); l1=$(status lost); t2=$(now)
  printf "%-7s %5s s CPU for %d execs (%s s gross over %.1f s, idle %s s/s; storm %.2f s wall; kauditd %s s); kernel lost %d -> %d\n" \
    "$name" "$(awk -v g=$((c1 - c0)) -v i="$(( i1 - i0 ))" -v w="$(awk -v a="$t0" -v b="$t2" 'BEGIN {print b - a}')" -v c="$CLK" \
      'BEGIN {n = (g - i / 5 * w) / c; if (n < 0) n = 0; printf "%.2f", n}')" \
    "$STORM" "$(secs $((c1 - c0)))" "$(awk -v a="$t0" -v b="$t2" 'BEGIN {print b - a}')" "$(awk -v i=$((i1 - i0)) -v c="$CLK" 'BEGIN {printf "%.3f", i / 5 / c}')" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$(secs $((k1 - k0)))" "$l0" "$l1" | tee -a "$work/figures.txt"
  [ "$l0" = "$l1" ] || echo "  WARNING: the kernel lost records during the $name storm" | tee -a "$work/figures.txt"
  if [ "${THREADS:-0}" = 1 ]; then
    # Threads started during the storm (thread-pool workers) count from zero; those that ended meanwhile are not seen.
    { sed 's/^/before /' <<<"$th0"; thread_ticks "$pid" | sed 's/^/after /'; } | awk -v c="$CLK" '
      $1 == "before" { b[$2] = $4; next } { d[$3] += $4 - b[$2] }
      END { for (n in d) if (d[n] > 0) printf "    %-24s %5.2f s\n", n, d[n] / c }' \
      | sort -k2 -g -r | tee -a "$work/figures.txt"
  fi
}
