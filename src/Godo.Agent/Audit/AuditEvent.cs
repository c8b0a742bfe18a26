using System.Collections.Immutable;

namespace Godo.Agent.Audit;

/// <summary>
/// One assembled audit event (all records of one serial), already reduced to what the process tree needs.
/// <see cref="Sequence"/> is the order in which assembly completed it, so the tree can apply events in
/// log order even though several assemblers finish them concurrently.
/// </summary>
public sealed record AuditEvent
{
    public long Sequence { get; init; }
    public required long Serial { get; init; }
    public required long TimeMs { get; init; }
    public int RecordCount { get; init; }
    public bool EndedByEoe { get; init; }

    /// <summary>False when the event has no SYSCALL record (a standalone record, or a late fragment).</summary>
    public bool HasSyscall { get; init; }
    public uint Arch { get; init; }
    public int SyscallNr { get; init; }
    public SyscallKind Kind { get; init; }
    public bool? Success { get; init; }
    public long? Exit { get; init; }
    public ulong A0 { get; init; }
    public ulong A1 { get; init; }
    public ulong A2 { get; init; }
    public ulong A3 { get; init; }
    public int Pid { get; init; }
    public int Ppid { get; init; }
    public int? Uid { get; init; }
    public string? Comm { get; init; }
    public string? Exe { get; init; }
    public ImmutableArray<string> Keys { get; init; } = ImmutableArray<string>.Empty;

    /// <summary>argv from EXECVE records, joined across continuation records; default when absent.</summary>
    public ImmutableArray<string> Argv { get; init; }
    /// <summary>
    /// The raw PROCTITLE value (hex or quoted), decoded only when the tree needs it: most events never do. The bytes
    /// are the record's own (in the reader's arena), so an event that never needs it costs no string.
    /// </summary>
    public ReadOnlyMemory<byte>? ProctitleRaw { get; init; }

    /// <summary>argv from PROCTITLE (at most 128 bytes, so possibly truncated); default when absent.</summary>
    public ImmutableArray<string> Proctitle => ProctitleRaw is { } raw ? DecodeProctitle(raw.Span) : default;

    public static ImmutableArray<string> DecodeProctitle(string raw) => DecodeProctitle(System.Text.Encoding.Latin1.GetBytes(raw));

    public static ImmutableArray<string> DecodeProctitle(ReadOnlySpan<byte> raw)
    {
        var text = AuditValue.DecodeString(raw);
        if (text is null) return ImmutableArray<string>.Empty;
        return [.. text.TrimEnd('\0').Split('\0')];
    }
    public string? Cwd { get; init; }
    /// <summary>ANOM_ABEND: the host pid (tgid) that dumped core, so dies of <see cref="CrashSignal"/>; 0 when none.</summary>
    public int CrashedPid { get; init; }
    public int CrashSignal { get; init; }
    /// <summary>Target host pids of a signal (OBJ_PID opid).</summary>
    public ImmutableArray<int> TargetPids { get; init; } = ImmutableArray<int>.Empty;

    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(TimeMs);
}
