using Godo.Messages.Wire;

namespace Godo.Aggregator.History;

/// <summary>What the history writer is told (local only).</summary>
public static class HistoryProtocol
{
    /// <summary>The fleet applied this snapshot or delta (after its merge rules): record it.</summary>
    public sealed record Applied(IHostMessage Message);

    /// <summary>
    /// A host's entity recovered this state from the journal (it moved here, or the cluster restarted): what the history
    /// has open that the state no longer has ended, and what it lacks began (the last records of a killed member may
    /// never have reached the store).
    /// </summary>
    public sealed record Recovered(HostSnapshot State);

    /// <summary>The host's entity stopped here (moved, passivated, forgotten): its open versions are no longer kept here.</summary>
    public sealed record Released(string Host);

    /// <summary>Ask: reply <see cref="Flushed"/> once everything told so far is in the store (tests, shutdown).</summary>
    public sealed record Flush;
    public sealed record Flushed(long Written, long Failed, long Dropped);

    /// <summary>Ask: run the retention sweep now; reply with the rows it deleted (tests).</summary>
    public sealed record SweepNow;
}
