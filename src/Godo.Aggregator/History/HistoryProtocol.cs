using Godo.Messages.Wire;

namespace Godo.Aggregator.History;

/// <summary>What the history writer is told (local only).</summary>
public static class HistoryProtocol
{
    /// <summary>The fleet applied this snapshot or delta (after its merge rules): record it.</summary>
    public sealed record Applied(IHostMessage Message);

    /// <summary>Ask: reply <see cref="Flushed"/> once everything told so far is in the store (tests, shutdown).</summary>
    public sealed record Flush;
    public sealed record Flushed(long Written, long Failed, long Dropped);

    /// <summary>Ask: run the retention sweep now; reply with the rows it deleted (tests).</summary>
    public sealed record SweepNow;
}
