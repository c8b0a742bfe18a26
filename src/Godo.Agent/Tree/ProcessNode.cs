using System.Collections.Immutable;

namespace Godo.Agent.Tree;

/// <summary>One incarnation of a pid. A reused pid gets a new node, never the old one back.</summary>
public sealed class ProcessNode
{
    private static long _nextId;

    public ProcessNode(int pid, int ppid, long startMs, long createdSerial)
    {
        Pid = pid; Ppid = ppid; StartMs = startMs; CreatedSerial = createdSerial;
        Id = Interlocked.Increment(ref _nextId);
    }

    /// <summary>Unique per incarnation, so a pending deletion never removes a newer process on the same pid.</summary>
    public long Id { get; }
    public int Pid { get; }
    public int Ppid { get; set; }
    /// <summary>The process that made the fork (differs from the parent for CLONE_PARENT, e.g. runc's init stages).</summary>
    public int CreatorPid { get; set; }
    public string? Comm { get; set; }
    public string? Exe { get; set; }
    public string? Cwd { get; set; }
    /// <summary>argv as kept: cut to the tree's cap (see <see cref="ProcessTree.SetArgv"/>).</summary>
    public ImmutableArray<string> Argv { get; set; } = ImmutableArray<string>.Empty;
    /// <summary>argv was cut: the whole one's size in bytes and its count (see Godo.Messages.Model.ProcessCaps).</summary>
    public bool ArgvTruncated { get; set; }
    public int ArgvBytes { get; set; }
    public int ArgvCount { get; set; }
    public int? Uid { get; set; }
    public string? Container { get; set; }
    public int? NsPid { get; set; }
    /// <summary>
    /// <see cref="NsPid"/> is known for sure (from /proc, as init, or from the only fork return waiting for a
    /// child), so a wait's namespace pid may be mapped to this process; a fork return paired among several is not.
    /// </summary>
    public bool NsPidCertain { get; set; }
    public long StartMs { get; set; }
    public long CreatedSerial { get; }
    public long? ExitMs { get; set; }
    public long ExitSerial { get; set; }
    /// <summary>How it exited, where the tree knows (exit code or signal), for what aggregators keep of it.</summary>
    public ExitNote? ExitNote { get; set; }

    /// <summary>In a container's pid namespace: its clone/fork return values are namespace pids, not host pids.</summary>
    public bool InContainerPidNs { get; set; }
    /// <summary>containerd-shim for <see cref="ShimOf"/>; a shim is a child subreaper.</summary>
    public string? ShimOf { get; set; }
    /// <summary>
    /// The shim binary run as a command, not the shim: <c>start</c> launches the shim and exits, <c>delete</c> cleans up
    /// after it has gone. Neither is the container's subreaper, nor a sign that it runs.
    /// </summary>
    public bool IsShimCommand { get; set; }
    public bool IsContainerInit { get; set; }
    /// <summary>Known from /proc (bootstrap) rather than from audit records.</summary>
    public bool FromProc { get; set; }
    public long ProcStartTicks { get; set; }
    /// <summary>Event time of the last change, so reconciliation leaves alone what just changed.</summary>
    public long LastChangeMs { get; set; }
    /// <summary>Event time of its first change since the changes were last drained: when what the next delta says of it began.</summary>
    public long ChangedSinceMs { get; set; }
    /// <summary>
    /// While changes are tracked: what it became at each change since the last drain (one per event time), so a delta
    /// carries a fork and the exec 3 ms later as two states, and history knows the tree at any moment, not per batch.
    /// </summary>
    public List<(long AtMs, Godo.Messages.Model.ProcessInfo Info)>? Steps { get; set; }

    public HashSet<ProcessNode> Children { get; } = new();
    public bool Alive => ExitMs is null;
    public bool IsSubreaper => ShimOf is not null && !IsShimCommand;
}
