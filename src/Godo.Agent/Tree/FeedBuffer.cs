using System.Collections.Immutable;
using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>Bounds of the agent's feed.</summary>
public sealed record FeedSettings
{
    /// <summary>
    /// How long (event time) an event is held so that one applied later with an earlier time still goes out before it:
    /// a record carries the time its syscall was entered, so a slow exec is logged after quicker events that followed it.
    /// </summary>
    public TimeSpan ReorderWindow { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Events held at most (by <see cref="FeedLimits.Size"/>); beyond, new ones are dropped and counted.</summary>
    public long MaxBufferedBytes { get; init; } = 16L * 1024 * 1024;
    /// <summary>Largest batch sent at once (about half of it on the wire: the estimate counts UTF-16); the rest waits for the next one.</summary>
    public long MaxBatchBytes { get; init; } = 4L * 1024 * 1024;
    /// <summary>argv characters kept per event.</summary>
    public int ArgvChars { get; init; } = FeedLimits.ArgvChars;
}

/// <summary>
/// The feed on its way out of the tree actor: events wait here for the reorder window, then leave in event-time order
/// (ties in the order they were applied), numbered without holes. Bounded in bytes: what does not fit is counted, so
/// the receiver is told how many it will never see. Plain class, owned by the tree actor.
/// </summary>
public sealed class FeedBuffer(FeedSettings settings)
{
    private readonly PriorityQueue<FeedEvent, (long TimeMs, long Order)> _held = new();
    private long _order, _bytes, _next = 1, _dropped;

    public FeedSettings Settings => settings;
    public bool IsEmpty => _held.Count == 0 && _dropped == 0;
    public long Bytes => _bytes;
    /// <summary>Dropped since the start, for the agent's figures.</summary>
    public long DroppedTotal { get; private set; }

    public void Add(FeedEvent e, DateTimeOffset receivedAt)
    {
        var argv = FeedLimits.Cap(e.Argv, settings.ArgvChars, out var truncated);
        e = e with { Argv = argv, ArgvTruncated = truncated, ReceivedAt = receivedAt };
        var size = FeedLimits.Size(e);
        if (_bytes + size > settings.MaxBufferedBytes) { _dropped++; DroppedTotal++; return; }
        _bytes += size;
        _held.Enqueue(e, (e.At.ToUnixTimeMilliseconds(), _order++));
    }

    /// <summary>
    /// The events due by <paramref name="watermarkMs"/> (held longer than the window; everything when it is
    /// <see cref="long.MaxValue"/>), at most <see cref="FeedSettings.MaxBatchBytes"/> of them, with the drops since the
    /// last batch; null when there is nothing to say.
    /// </summary>
    public (long First, ImmutableArray<FeedEvent> Events, long Dropped)? Release(long watermarkMs)
    {
        var due = watermarkMs == long.MaxValue ? long.MaxValue : watermarkMs - (long)settings.ReorderWindow.TotalMilliseconds;
        var batch = ImmutableArray.CreateBuilder<FeedEvent>();
        long bytes = 0;
        var first = _next;
        while (_held.TryPeek(out var e, out var key) && key.TimeMs <= due && (bytes == 0 || bytes < settings.MaxBatchBytes))
        {
            _held.Dequeue();
            var size = FeedLimits.Size(e);
            bytes += size;
            _bytes -= size;
            batch.Add(e with { Seq = _next++ });
        }
        if (batch.Count == 0 && _dropped == 0) return null;
        var dropped = _dropped;
        _dropped = 0;
        return (first, batch.ToImmutable(), dropped);
    }
}
