using LinqToDB.Mapping;

namespace Godo.Aggregator.History;

// The history's tables. Times are unix milliseconds of event time (the kernel's clock), so the same columns and the
// same range queries work in SQLite and PostgreSQL.

/// <summary>
/// One version of one process: what it was from <see cref="ValidFrom"/> until <see cref="ValidTo"/> (null: still so).
/// The key (host, valid from, pid, started) makes every write idempotent: two aggregators recording the same host
/// write the same rows. Its order is the tree-at-T's: in SQLite the table is stored in key order (WITHOUT ROWID), so a
/// host's minute of versions is one contiguous range, however many hosts wrote in between.
/// </summary>
[Table("godo_process_versions")]
public sealed record ProcessVersionRow
{
    [Column("host"), PrimaryKey(0), NotNull] public string Host { get; init; } = "";
    [Column("pid"), PrimaryKey(2)] public int Pid { get; init; }
    [Column("started_at"), PrimaryKey(3)] public long StartedAt { get; init; }
    [Column("valid_from"), PrimaryKey(1)] public long ValidFrom { get; init; }
    [Column("valid_to"), Nullable] public long? ValidTo { get; init; }
    [Column("exited_at"), Nullable] public long? ExitedAt { get; init; }
    [Column("exit_code"), Nullable] public int? ExitCode { get; init; }
    [Column("signal"), Nullable] public int? Signal { get; init; }
    [Column("ppid")] public int Ppid { get; init; }
    [Column("exe"), Nullable] public string? Exe { get; init; }
    /// <summary>argv as a JSON array of strings (already capped by the agent and the aggregator).</summary>
    [Column("argv"), NotNull] public string Argv { get; init; } = "[]";
    [Column("argv_truncated")] public bool ArgvTruncated { get; init; }
    [Column("argv_bytes")] public int ArgvBytes { get; init; }
    [Column("argv_count")] public int ArgvCount { get; init; }
    [Column("container"), Nullable] public string? Container { get; init; }
    [Column("uid"), Nullable] public int? Uid { get; init; }
    [Column("user_name"), Nullable] public string? User { get; init; }
    [Column("ns_pid"), Nullable] public int? NsPid { get; init; }
    [Column("cwd"), Nullable] public string? Cwd { get; init; }
    [Column("comm"), Nullable] public string? Comm { get; init; }
}

/// <summary>One version of one container on one host (its process count is not kept: the tree at T counts its processes).</summary>
[Table("godo_container_versions")]
public sealed record ContainerVersionRow
{
    [Column("host"), PrimaryKey(0), NotNull] public string Host { get; init; } = "";
    [Column("id"), PrimaryKey(1), NotNull] public string Id { get; init; } = "";
    [Column("valid_from"), PrimaryKey(2)] public long ValidFrom { get; init; }
    [Column("valid_to"), Nullable] public long? ValidTo { get; init; }
    /// <summary>The container was gone at <see cref="ValidTo"/> (not merely changed).</summary>
    [Column("gone")] public bool Gone { get; init; }
    [Column("name"), Nullable] public string? Name { get; init; }
    [Column("image"), Nullable] public string? Image { get; init; }
    [Column("state"), Nullable] public string? State { get; init; }
    [Column("started_at"), Nullable] public long? StartedAt { get; init; }
    [Column("init_pid"), Nullable] public int? InitPid { get; init; }
    [Column("shim_pid"), Nullable] public int? ShimPid { get; init; }
    /// <summary>Labels as a JSON object.</summary>
    [Column("labels"), NotNull] public string Labels { get; init; } = "{}";
}

/// <summary>
/// A keyframe member: the process version (pid, started, valid from) was open on the host at <see cref="At"/>. A tree
/// at T reads the newest keyframe at or before T and the versions that began after it, never the whole past.
/// </summary>
[Table("godo_history_keyframes")]
public sealed record KeyframeRow
{
    [Column("host"), PrimaryKey(0), NotNull] public string Host { get; init; } = "";
    [Column("at"), PrimaryKey(1)] public long At { get; init; }
    [Column("pid"), PrimaryKey(2)] public int Pid { get; init; }
    [Column("started_at"), PrimaryKey(3)] public long StartedAt { get; init; }
    [Column("valid_from")] public long ValidFrom { get; init; }
}

/// <summary>What event time the history of a host covers: from <see cref="FirstAt"/> (its first record, or the retention's edge) to <see cref="LastAt"/>.</summary>
[Table("godo_history_hosts")]
public sealed record HistoryHostRow
{
    [Column("host"), PrimaryKey, NotNull] public string Host { get; init; } = "";
    [Column("first_at")] public long FirstAt { get; init; }
    [Column("last_at")] public long LastAt { get; init; }
}
