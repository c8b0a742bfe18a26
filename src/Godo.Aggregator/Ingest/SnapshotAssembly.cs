using System.Collections.Immutable;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Ingest;

/// <summary>What a piece of a snapshot did: completed one (<see cref="Snapshot"/>), or was kept, a repeat, or stale.</summary>
public enum ChunkOutcome { Kept, Completed, Duplicate, Stale }

public sealed record ChunkResult(ChunkOutcome Outcome, HostSnapshot? Snapshot = null);

/// <summary>
/// Puts the pieces of agents' snapshots (<see cref="SnapshotChunk"/>) back together, in any order, at most one
/// snapshot per host: a newer one (another incarnation, or a higher sequence) replaces the one under way, a piece of an
/// older one is stale, and one whose pieces stop coming is dropped after the timeout. Each piece is cut to the
/// aggregator's caps as it arrives, so what waits here costs no more than the tree it becomes. Plain: the ingest actor owns it.
/// </summary>
public sealed class SnapshotAssembly(ProcessCaps caps, TimeSpan timeout)
{
    private sealed class Pending(string incarnation, long sequence, DateTimeOffset now)
    {
        public readonly string Incarnation = incarnation;
        public readonly long Sequence = sequence;
        public readonly Dictionary<int, ImmutableArray<ProcessInfo>> Pieces = new();
        public SnapshotHeader? Header;
        public int? Count;
        public DateTimeOffset LastPieceAt = now;
    }

    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    // The last snapshot completed per host: its late repeats are stale, not the start of another.
    private readonly Dictionary<string, (string Incarnation, long Sequence)> _completed = new(StringComparer.Ordinal);

    /// <summary>Snapshots dropped unfinished: replaced by a newer one, or timed out.</summary>
    public long Abandoned { get; private set; }
    public int InProgress => _pending.Count;

    /// <summary>A snapshot of this incarnation of the host is being put together (its deltas wait for it).</summary>
    public bool Assembling(string host, string incarnation) => _pending.TryGetValue(host, out var p) && p.Incarnation == incarnation;

    public ChunkResult Add(SnapshotChunk c, DateTimeOffset now)
    {
        if (c.Index < 0 || c.Count is < 1 || c.Count is { } n && c.Index >= n) return new ChunkResult(ChunkOutcome.Stale);
        if (_completed.TryGetValue(c.Host, out var done) && done.Incarnation == c.Incarnation && c.Sequence <= done.Sequence)
            return new ChunkResult(ChunkOutcome.Stale);
        if (_pending.TryGetValue(c.Host, out var p) && !(p.Incarnation == c.Incarnation && p.Sequence == c.Sequence))
        {
            if (p.Incarnation == c.Incarnation && c.Sequence < p.Sequence) return new ChunkResult(ChunkOutcome.Stale);
            Abandoned++;
            p = null;
        }
        if (p is null) _pending[c.Host] = p = new Pending(c.Incarnation, c.Sequence, now);
        if (p.Pieces.ContainsKey(c.Index) || p.Count is { } count && c.Index >= count) return new ChunkResult(ChunkOutcome.Duplicate);
        p.Pieces[c.Index] = Cap(c.Processes);
        p.LastPieceAt = now;
        if (c.Header is not null) p.Header = c.Header;
        if (c.Count is { } total) p.Count = total;
        if (p.Count is not { } all || p.Header is not { } h || p.Pieces.Count < all) return new ChunkResult(ChunkOutcome.Kept);
        _pending.Remove(c.Host);
        _completed[c.Host] = (p.Incarnation, p.Sequence);
        var processes = ImmutableArray.CreateBuilder<ProcessInfo>(p.Pieces.Values.Sum(x => x.Length));
        for (var i = 0; i < all; i++) processes.AddRange(p.Pieces[i]);
        return new ChunkResult(ChunkOutcome.Completed, new HostSnapshot(c.Host, p.Incarnation, p.Sequence, h.AsOf, processes.MoveToImmutable(),
            h.Containers, h.Stats, h.AgentAddress, h.Identity, h.EventTime));
    }

    /// <summary>Drops the snapshots whose pieces stopped coming; returns how many.</summary>
    public int Sweep(DateTimeOffset now)
    {
        var stale = _pending.Where(kv => now - kv.Value.LastPieceAt > timeout).Select(kv => kv.Key).ToList();
        foreach (var host in stale) _pending.Remove(host);
        Abandoned += stale.Count;
        return stale.Count;
    }

    private ImmutableArray<ProcessInfo> Cap(ImmutableArray<ProcessInfo> processes)
    {
        if (processes.IsDefault) return [];
        var b = ImmutableArray.CreateBuilder<ProcessInfo>(processes.Length);
        foreach (var p in processes) b.Add(caps.Apply(p));
        return b.MoveToImmutable();
    }
}
