using System.Collections.Immutable;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>
/// One snapshot on its way to the aggregators, in pieces (<see cref="SnapshotChunk"/>) well under the remoting frame,
/// with a window: piece i goes out only once the slowest aggregator still acking has acked piece i - window, so a
/// host of any size never sits whole in the remoting buffers. An aggregator that stops acking for the ack timeout
/// no longer holds the window back; with no ack at all for that long the snapshot is <see cref="Stalled"/>.
/// Plain: the publisher owns it.
/// </summary>
public sealed class SnapshotWindow
{
    private readonly ImmutableArray<ImmutableArray<ProcessInfo>> _pieces;
    private readonly int _window;
    private readonly TimeSpan _ackTimeout;
    // Per aggregator (the ack's sender): the next piece it waits for, and when it last acked.
    private readonly Dictionary<object, (int Next, DateTime At)> _acks = new();
    private DateTime _progressAt;

    public SnapshotWindow(long sequence, ImmutableArray<ProcessInfo> processes, long pieceBytes, int pieceProcesses, int window, TimeSpan ackTimeout, DateTime now)
    {
        Sequence = sequence;
        _pieces = Split(processes, pieceBytes, pieceProcesses);
        _window = Math.Max(1, window);
        _ackTimeout = ackTimeout;
        _progressAt = now;
    }

    public long Sequence { get; }
    public int Count => _pieces.Length;
    /// <summary>The next piece to send.</summary>
    public int Next { get; private set; }
    public bool AllSent => Next >= Count;

    /// <summary>The pieces that may go now (the window is open for them); each is sent once.</summary>
    public IEnumerable<(int Index, ImmutableArray<ProcessInfo> Processes)> Sendable(DateTime now)
    {
        var limit = Floor(now) + _window;
        while (Next < Count && Next < limit)
        {
            var i = Next++;
            yield return (i, _pieces[i]);
        }
    }

    public void Ack(object from, int piece, DateTime now)
    {
        if (piece < 0 || piece >= Count) return;
        var next = _acks.TryGetValue(from, out var a) ? Math.Max(a.Next, piece + 1) : piece + 1;
        _acks[from] = (next, now);
        _progressAt = now;
    }

    /// <summary>No aggregator has acked anything for the ack timeout while pieces are still to go.</summary>
    public bool Stalled(DateTime now) => !AllSent && now - _progressAt > _ackTimeout;

    /// <summary>The lowest piece an aggregator that still acks waits for (0 before any ack).</summary>
    private int Floor(DateTime now)
    {
        int? min = null, max = null;
        foreach (var (next, at) in _acks.Values)
        {
            max = Math.Max(max ?? 0, next);
            if (now - at <= _ackTimeout) min = Math.Min(min ?? int.MaxValue, next);
        }
        return min ?? max ?? 0;
    }

    /// <summary>Pieces of at most <paramref name="pieceBytes"/> (estimated) or <paramref name="pieceProcesses"/>; one process bigger than that goes alone. Always at least one piece.</summary>
    public static ImmutableArray<ImmutableArray<ProcessInfo>> Split(ImmutableArray<ProcessInfo> processes, long pieceBytes, int pieceProcesses)
    {
        var pieces = ImmutableArray.CreateBuilder<ImmutableArray<ProcessInfo>>();
        var piece = ImmutableArray.CreateBuilder<ProcessInfo>();
        long bytes = 0;
        foreach (var p in processes.IsDefault ? [] : processes)
        {
            var size = WireSize.Of(p);
            if (piece.Count > 0 && (bytes + size > pieceBytes || piece.Count >= pieceProcesses))
            {
                pieces.Add(piece.ToImmutable());
                piece.Clear();
                bytes = 0;
            }
            piece.Add(p);
            bytes += size;
        }
        if (piece.Count > 0 || pieces.Count == 0) pieces.Add(piece.ToImmutable());
        return pieces.ToImmutable();
    }
}
