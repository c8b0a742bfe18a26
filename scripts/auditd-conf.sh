# Sourced by the benchmarks (bench/auditd.sh) and the corpus recorder (corpus-workloads/capture.sh): one auditd.conf
# for every private auditd godo runs, so the anchor it is measured against is the auditd that records the corpora.
# auditd_conf LOG_FILE PLUGIN_DIR: prints the config (RAW log, no plugins, nothing that stops auditd on a full disk).
auditd_conf() {
  cat <<CONF
local_events = yes
write_logs = yes
log_file = $1
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 2000
num_logs = 2
max_log_file_action = IGNORE
space_left = 75
space_left_action = IGNORE
admin_space_left = 50
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 20000
overflow_action = IGNORE
plugin_dir = $2
end_of_event_timeout = 2
name_format = NONE
CONF
}
