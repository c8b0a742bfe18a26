using System.Collections.Immutable;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>What other actors may send the tree actor (local only); its own ticks are private to it.</summary>
public static class TreeProtocol
{
    /// <summary>Assemblers → tree: a run of events with consecutive sequences, in the order they were completed in (one message per assembler batch).</summary>
    public sealed record AssembledEvents(ImmutableArray<AuditEvent> Events);

    /// <summary>The router has completed <paramref name="LastSequence"/> events in all; reply to drain-waiters once they are applied.</summary>
    public sealed record EndOfInput(long LastSequence);

    /// <summary>Ask: reply with <see cref="Drained"/> once the end of input has been applied.</summary>
    public sealed record WaitForDrain;
    public sealed record Drained(long EventsApplied);

    /// <summary>Ask: reply with the <see cref="HostTree"/> as of now (or as of <paramref name="AsOfMs"/> in replay).</summary>
    public sealed record GetTree(long? AsOfMs = null, bool IncludeExited = false);

    /// <summary>
    /// Subscribe to batched changes. The subscriber first gets the whole <see cref="HostTree"/> as of now, then a
    /// <see cref="TreeChanges"/> every change interval in which anything changed (upserts are idempotent).
    /// </summary>
    public sealed record SubscribeChanges(IActorRef Subscriber);

    /// <summary>
    /// The feed's next events in event-time order, numbered from <paramref name="First"/>, and how many the tree actor
    /// dropped since the last batch (see <see cref="FeedBuffer"/>); sent to the same subscribers as <see cref="TreeChanges"/>.
    /// </summary>
    public sealed record FeedChanges(long First, ImmutableArray<FeedEvent> Events, long Dropped);

    /// <summary>A batch of changes: <paramref name="AsOf"/> on the wall clock, <paramref name="EventTime"/> the tree's event time (null before any event).</summary>
    public sealed record TreeChanges(DateTimeOffset AsOf, ImmutableArray<ProcessChange> Processes, ImmutableArray<ContainerChange> Containers,
        DateTimeOffset? EventTime = null);

    /// <summary>Load /proc into the tree before events are applied (the live agent's bootstrap).</summary>
    public sealed record Seed(Proc.ProcSnapshot Snapshot);

    /// <summary>Compare with /proc now (periodically, on kernel loss, when a container stops).</summary>
    public sealed record RequestReconcile(string Reason);

    /// <summary>Process exits from the kernel's process events connector, in the order the kernel reported them.</summary>
    public sealed record ProcessesExited(ImmutableArray<ProcessExit> Exits);

    /// <summary>One exit, at <paramref name="TimeMs"/> (wall clock, like audit's).</summary>
    public readonly record struct ProcessExit(int Pid, long TimeMs, int ExitCode);

    /// <summary>Docker's view of one container (null Info: the container is gone from Docker).</summary>
    public sealed record ContainerMetadata(string Id, ContainerInfo? Info);
}
