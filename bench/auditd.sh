# Sourced by the benchmarks: Debian's auditd as the anchor, with godo's own rules. Needs $work (a scratch folder)
# and sets auditd_pid. The caller holds /tmp/godo-audit.lock and restores the kernel's audit state afterwards.
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/auditd-conf.sh"

# auditd_start RULES: auditd writing a RAW log under $work/auditd, then the rules of file RULES (`auditctl -l` lines
# of godo's rules, key godo) loaded for it under key godo-bench, its self-exclusion naming auditd, as godo sets them.
auditd_start() {
  local rules=$1 line
  mkdir -p "$work/auditd/plugins"
  auditd_conf "$work/auditd/audit.log" "$work/auditd/plugins" > "$work/auditd/auditd.conf"
  chmod 600 "$work/auditd/auditd.conf"
  auditd -n -s nochange -c "$work/auditd" >"$work/auditd.out" 2>&1 &
  auditd_pid=$!
  for _ in $(seq 1 100); do [ "$(auditctl -s | awk '$1 == "pid" {print $2}')" = "$auditd_pid" ] && break; sleep 0.1; done
  [ "$(auditctl -s | awk '$1 == "pid" {print $2}')" = "$auditd_pid" ] || { cat "$work/auditd.out" >&2; echo "auditd did not register" >&2; return 1; }
  auditctl -b 8192 --backlog_wait_time 0 >/dev/null   # what godo sets
  while read -r line; do
    line=${line/-F key=godo/-F key=godo-bench}
    line=$(sed -E "s/-F pid=[0-9]+/-F pid=$auditd_pid/" <<<"$line")
    # shellcheck disable=SC2086
    auditctl $line >/dev/null
  done < "$rules"
  auditctl -e 1 >/dev/null
  [ "$(auditctl -l | grep -c 'key=godo-bench')" = "$(wc -l < "$rules")" ] || { auditctl -l >&2; echo "rules for auditd differ" >&2; return 1; }
}

auditd_stop() {
  [ -n "${auditd_pid:-}" ] || return 0
  for _ in 1 2 3 4 5; do kill -TERM "$auditd_pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$auditd_pid" 2>/dev/null || true
  wait "$auditd_pid" 2>/dev/null || true
  auditd_pid=""
  auditctl -D -k godo-bench >/dev/null 2>&1 || true
}
