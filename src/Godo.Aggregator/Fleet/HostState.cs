using System.Collections.Immutable;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Fleet;

/// <summary>
/// What one aggregator knows of one host. Written only by the ingest actor (through <see cref="FleetState"/>), read by
/// API requests: every access holds the instance's lock, and readers copy out what they need.
/// </summary>
public sealed class HostState(string host)
{
    internal readonly object Gate = new();
    internal readonly Dictionary<int, ProcessInfo> Processes = new();
    internal readonly Dictionary<string, ContainerInfo> Containers = new(StringComparer.Ordinal);

    public string Host { get; } = host;
    public string Incarnation { get; internal set; } = "";
    public long Sequence { get; internal set; }
    public HostStatus Status { get; internal set; } = HostStatus.Up;
    public string? StatusReason { get; internal set; }
    public DateTimeOffset LastSeen { get; internal set; }
    public DateTimeOffset? DownSince { get; internal set; }
    /// <summary>When its agent's ClusterClient was reported unreachable; null once it is heard from again.</summary>
    public DateTimeOffset? DisconnectedAt { get; internal set; }
    public DateTimeOffset AsOf { get; internal set; }
    public AgentStats Stats { get; internal set; } = new();
    public string? AgentAddress { get; internal set; }
    /// <summary>A gap was seen: deltas are dropped until a snapshot replaces the state.</summary>
    public bool AwaitingSnapshot { get; internal set; }
    internal DateTimeOffset SnapshotRequestedAt = DateTimeOffset.MinValue;
    public long DeltasApplied { get; internal set; }
    public long SnapshotsApplied { get; internal set; }
    /// <summary>The last refused claim on this host by another agent; cleared once that one is quiet.</summary>
    public HostConflict? Conflict { get; internal set; }
    /// <summary>The feed of this incarnation is followed from here: the next batch should start at <see cref="FeedNext"/>.</summary>
    internal string? FeedIncarnation;
    internal long FeedNext;
    public long FeedEvents { get; internal set; }
    /// <summary>Feed events that never arrived (lost on the way, or dropped by the agent).</summary>
    public long FeedDropped { get; internal set; }
    /// <summary>The incarnation proved the host with a fleet certificate.</summary>
    public bool Verified { get; internal set; }
    /// <summary>Down long enough that only the summary is kept (counts, containers, last seen): no processes until a snapshot.</summary>
    public bool TreeReleased { get; private set; }
    private int _releasedProcessCount;

    /// <summary>Lets the processes go, keeping their count for the summary; the next snapshot brings them back.</summary>
    internal void ReleaseTree()
    {
        _releasedProcessCount = Processes.Values.Count(p => p.ExitedAt is null);
        Processes.Clear();
        Processes.TrimExcess();
        TreeReleased = true;
        AwaitingSnapshot = true;
    }

    internal void HoldTree() => TreeReleased = false;

    /// <summary>The first sequence a gap lacks, which the agent's deltas from there can fill; null when only a snapshot can (the tree was let go).</summary>
    internal long? FirstMissing => TreeReleased ? null : Sequence + 1;

    /// <summary>Live processes (not yet exited), as the agent counts them.</summary>
    public int ProcessCount { get { lock (Gate) return LiveProcesses; } }
    private int LiveProcesses => TreeReleased ? _releasedProcessCount : Processes.Values.Count(p => p.ExitedAt is null);
    public int ContainerCount { get { lock (Gate) return Containers.Count; } }

    /// <summary>The host's tree in the public schema (the document of `godo replay --json`).</summary>
    public HostTree ToTree(bool includeExited = false)
    {
        lock (Gate)
        {
            var processes = Processes.Values.Where(p => includeExited || p.ExitedAt is null).OrderBy(p => p.Pid).ToImmutableArray();
            var containers = OrderedContainers().ToImmutableArray();
            var stats = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
            stats["processes"] = processes.Length;
            stats["containers"] = containers.Length;
            stats["sequence"] = Sequence;
            stats["records"] = Stats.Records;
            stats["events"] = Stats.Events;
            stats["malformed"] = Stats.Malformed;
            stats["lost"] = Stats.Lost;
            stats["backlog"] = Stats.Backlog;
            stats["corrections"] = Stats.Corrections;
            stats["procEvents"] = Stats.ProcEvents;
            stats["deltasApplied"] = DeltasApplied;
            stats["snapshotsApplied"] = SnapshotsApplied;
            stats["feedEvents"] = FeedEvents;
            stats["feedDropped"] = FeedDropped;
            return new HostTree { Host = Host, AsOf = AsOf, Processes = processes, Containers = containers, Stats = stats.ToImmutable() };
        }
    }

    /// <summary>The whole state as a snapshot of its incarnation (exited processes included): what an Akka snapshot of the host's entity keeps.</summary>
    public HostSnapshot ToSnapshot()
    {
        lock (Gate)
            return new HostSnapshot(Host, Incarnation, Sequence, AsOf, Processes.Values.OrderBy(p => p.Pid).ToImmutableArray(),
                OrderedContainers().ToImmutableArray(), Stats, AgentAddress);
    }

    /// <summary>The agent's order: by start time (unknown first), then id.</summary>
    internal IEnumerable<ContainerInfo> OrderedContainers() =>
        Containers.Values.OrderBy(c => c.StartedAt ?? DateTimeOffset.MinValue).ThenBy(c => c.Id, StringComparer.Ordinal);

    public HostSummary Summary()
    {
        lock (Gate)
            return new HostSummary
            {
                Host = Host, Status = Status, StatusReason = StatusReason, LastSeen = LastSeen, DownSince = DownSince, AsOf = AsOf,
                ProcessCount = LiveProcesses, ContainerCount = Containers.Count, TreeReleased = TreeReleased,
                Sequence = Sequence, AgentAddress = AgentAddress, Stats = Stats,
                AwaitingSnapshot = AwaitingSnapshot, ExitSources = Stats.ExitSources, Conflict = Conflict, Verified = Verified,
            };
    }
}
