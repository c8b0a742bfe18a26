using System.Collections.Immutable;
using Godo.Messages.Wire;

namespace Godo.Aggregator.History;

/// <summary>What the history writer is told (local only).</summary>
public static class HistoryProtocol
{
    /// <summary>The fleet applied this snapshot or delta (after its merge rules): record it.</summary>
    public sealed record Applied(IHostMessage Message);

    /// <summary>
    /// A host's entity recovered this state from the journal (it moved here, restarted, or the cluster restarted), by
    /// replaying <paramref name="Replayed"/> (in order) on its last Akka snapshot. The last records of a killed member
    /// may never have reached the store: the deltas past what the history has are recorded at their own times, the
    /// rest of the difference at the state's. The journal is written behind the history, so it may also be older than
    /// the history: then the history keeps what it has.
    /// </summary>
    public sealed record Recovered(HostSnapshot State, ImmutableArray<HostDelta> Replayed = default);

    /// <summary>The host's entity stopped here (moved, passivated, forgotten): its open versions are no longer kept here.</summary>
    public sealed record Released(string Host);

    /// <summary>Ask: reply <see cref="Flushed"/> once everything told so far is in the store (tests, shutdown).</summary>
    public sealed record Flush;
    public sealed record Flushed(long Written, long Failed, long Dropped);

    /// <summary>Ask: run the retention sweep now; reply with the rows it deleted (tests).</summary>
    public sealed record SweepNow;
}
