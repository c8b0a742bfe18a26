using System.Collections.Immutable;
using Godo.Messages.Model;

namespace Godo.Messages.Wire;

/// <summary>The agent's own figures, carried by snapshots and heartbeats.</summary>
public sealed record AgentStats
{
    public string Version { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; }
    public double RecordsPerSecond { get; init; }
    public double EventsPerSecond { get; init; }
    public long Records { get; init; }
    public long Events { get; init; }
    public long Malformed { get; init; }
    /// <summary>The kernel's audit `lost` counter (records dropped before godo could read them).</summary>
    public long Lost { get; init; }
    public long Backlog { get; init; }
    /// <summary>Drift fixed by /proc reconciliation: each one is a sign of loss or of a bug.</summary>
    public long Corrections { get; init; }
    public string Source { get; init; } = "";
    /// <summary>Exits applied from the kernel's process events connector (deaths audit's rules cannot see).</summary>
    public long ProcEvents { get; init; }
    /// <summary>Where the agent learns of exits: "audit" (its syscall rules), and "proc-events" while the connector is open.</summary>
    public ImmutableArray<string> ExitSources { get; init; } = [];
    /// <summary>
    /// Times the deltas held while no aggregator answered outgrew the publisher's buffer and were dropped for a fresh
    /// snapshot, and how many deltas that dropped.
    /// </summary>
    public long BufferOverflows { get; init; }
    public long DeltasDiscarded { get; init; }
    /// <summary>Snapshots given up because no aggregator acked their pieces (a new one follows when one answers).</summary>
    public long SnapshotsAbandoned { get; init; }
}

/// <summary>
/// Everything the agent knows of its host, at <see cref="Sequence"/>; deltas continue from it. Under TLS,
/// <see cref="Identity"/> proves the incarnation is the host's agent (see Security/AgentProof). <see cref="AsOf"/> is
/// the agent's wall clock; <see cref="EventTime"/> the kernel time of the last event the tree applied (null: none yet,
/// or an agent older than issue 11), the time history files the snapshot under.
/// </summary>
public sealed record HostSnapshot(
    string Host, string Incarnation, long Sequence, DateTimeOffset AsOf,
    ImmutableArray<ProcessInfo> Processes, ImmutableArray<ContainerInfo> Containers, AgentStats Stats,
    string? AgentAddress = null, AgentIdentity? Identity = null, DateTimeOffset? EventTime = null) : IHostMessage;

/// <summary>
/// One piece of a <see cref="HostSnapshot"/> (snapshot id: <see cref="Incarnation"/> and <see cref="Sequence"/>), so a
/// host of any size arrives in messages well under the remoting frame. Pieces are numbered from 0; the first carries
/// what the snapshot says besides its processes (<see cref="Header"/>), the last the number of pieces
/// (<see cref="Count"/>). Receivers ack each piece (<see cref="IngestAck"/>); the agent sends the next ones only as acks
/// come back, and its deltas only after the last piece.
/// </summary>
public sealed record SnapshotChunk(
    string Host, string Incarnation, long Sequence, int Index, ImmutableArray<ProcessInfo> Processes,
    SnapshotHeader? Header = null, int? Count = null) : IHostMessage;

/// <summary>A snapshot without its processes: the first <see cref="SnapshotChunk"/> carries it.</summary>
public sealed record SnapshotHeader(
    DateTimeOffset AsOf, ImmutableArray<ContainerInfo> Containers, AgentStats Stats, string? AgentAddress = null, AgentIdentity? Identity = null,
    DateTimeOffset? EventTime = null);

/// <summary>
/// Aggregator → agent: piece <see cref="Chunk"/> of snapshot <see cref="Sequence"/> arrived (its window moves on), or,
/// with <see cref="Chunk"/> -1, a heartbeat did: an aggregator answers, so deltas need not be held back.
/// <see cref="From"/> names the aggregator (its address): replies through a ClusterClient's tunnel carry no sender of their own.
/// </summary>
public sealed record IngestAck(string Host, string Incarnation, long Sequence, int Chunk = -1, string? From = null) : IGodoWireMessage;

/// <summary>The agent's certificate (PEM) and its signature, with the certificate's key, over (host, incarnation, <see cref="SignedAt"/>).</summary>
public sealed record AgentIdentity(string CertificatePem, DateTimeOffset SignedAt, string Signature);

public enum ProcessChangeKind { Upsert = 0, Exited = 1, Removed = 2 }

/// <summary>
/// A process as it now is (added or changed), exited (kept for its last second), or removed. <see cref="At"/>: the
/// event time of this state (fork, exec, exit, reparent, container); a process that changed several times since the
/// previous delta comes once per state, in order. With an exit, its code or signal where the tree knows them. All null
/// from agents older than issue 11.
/// </summary>
public sealed record ProcessChange(ProcessChangeKind Kind, ProcessInfo Process, DateTimeOffset? At = null, int? ExitCode = null, int? Signal = null);

public enum ContainerChangeKind { Upsert = 0, Gone = 1 }

/// <summary>A container as it now is, or gone; <see cref="At"/>: the event time of the change (null from older agents).</summary>
public sealed record ContainerChange(ContainerChangeKind Kind, ContainerInfo Container, DateTimeOffset? At = null);

/// <summary>
/// Changes since the previous message of this incarnation. <see cref="Sequence"/> is exactly one more than the
/// last one sent: a receiver that sees a gap asks for a snapshot. Changes are batched (a burst of execs is one delta).
/// <see cref="AsOf"/> is the agent's wall clock, <see cref="EventTime"/> the tree's event time when the batch was cut.
/// </summary>
public sealed record HostDelta(
    string Host, string Incarnation, long Sequence, DateTimeOffset AsOf,
    ImmutableArray<ProcessChange> Processes, ImmutableArray<ContainerChange> Containers, DateTimeOffset? EventTime = null) : IHostMessage;

/// <summary>
/// Sent every few seconds; <see cref="LastSequence"/> lets a receiver notice a lost trailing delta.
/// <see cref="AgentAddress"/> (also on snapshots) is the agent's Akka address, so an aggregator can tell which host a
/// ClusterClient that went unreachable was feeding; null when the agent runs inside the aggregator (standalone).
/// </summary>
public sealed record AgentHeartbeat(string Host, string Incarnation, long LastSequence, DateTimeOffset SentAt, AgentStats Stats,
    string? AgentAddress = null) : IHostMessage;

/// <summary>
/// Aggregator → agent: send a full snapshot (after a gap, or for an incarnation it has not seen). After a gap,
/// <see cref="FromSequence"/> is the first sequence the aggregator lacks: an agent that still has every delta from there
/// may send those again instead (once per gap); null when only a snapshot will do.
/// </summary>
public sealed record SnapshotRequest(string Host, string Incarnation, string Reason, long? FromSequence = null) : IGodoWireMessage;

/// <summary>
/// Aggregator → aggregators: the receptionist this agent was connected to lost it (ClusterClientUnreachable).
/// Only that one aggregator sees the client go; the others learn it from this.
/// </summary>
public sealed record AgentUnreachable(string AgentAddress, DateTimeOffset At) : IGodoWireMessage;
