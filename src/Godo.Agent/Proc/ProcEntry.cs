using System.Collections.Immutable;
using Godo.Messages.Model;

namespace Godo.Agent.Proc;

/// <summary>One process (thread group leader) as read from <c>/proc/PID</c>.</summary>
public sealed record ProcEntry
{
    public required int Pid { get; init; }
    public required int Ppid { get; init; }
    /// <summary>Kernel's comm (at most 15 bytes), from <c>stat</c>.</summary>
    public required string Comm { get; init; }
    /// <summary>Target of <c>/proc/PID/exe</c>, as the kernel shows it (may end in " (deleted)"); null when unreadable.</summary>
    public string? Exe { get; init; }
    /// <summary><c>cmdline</c> split at NUL; empty for zombies (and kernel threads, which are never returned).</summary>
    public ImmutableArray<string> Argv { get; init; } = ImmutableArray<string>.Empty;
    /// <summary>Target of <c>/proc/PID/cwd</c>; null when unreadable.</summary>
    public string? Cwd { get; init; }
    /// <summary>Real uid from the <c>Uid:</c> line of <c>status</c>.</summary>
    public int? Uid { get; init; }
    /// <summary>Start time in clock ticks since boot (field 22 of <c>stat</c>).</summary>
    public required ulong StartTicks { get; init; }
    /// <summary>Start time: boot time (<c>btime</c>) + <see cref="StartTicks"/> / clock rate. Second-accurate (btime is whole seconds).</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>State letter from <c>stat</c>: R, S, D, Z, T, t, X, I…</summary>
    public required char State { get; init; }
    /// <summary>Last value of the <c>NSpid:</c> line: the pid inside the innermost pid namespace (equals <see cref="Pid"/> on the host); null when the kernel has no NSpid line.</summary>
    public int? NsPid { get; init; }
    /// <summary>64-hex container id from <c>/proc/PID/cgroup</c>, null for a host process.</summary>
    public string? ContainerId { get; init; }

    public bool IsZombie => State is 'Z' or 'X';
    public ProcessKey Key => new(Pid, StartTicks);

    /// <summary>Test seam: tests compare a /proc entry with the public model.</summary>
    public ProcessInfo ToProcessInfo() => new()
    {
        Pid = Pid,
        Ppid = Ppid,
        Comm = Comm,
        Exe = Exe,
        Argv = Argv,
        Cwd = Cwd,
        Uid = Uid,
        Container = ContainerId,
        NsPid = NsPid,
        StartedAt = StartedAt,
    };
}
