using Godo.Agent.Tree;
using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>
/// The tree's changes the publisher holds back: while a snapshot is on its way (deltas must follow its last piece),
/// or while no aggregator answers. Bounded in bytes (estimated wire size): past the bound it drops everything, since
/// a fresh snapshot will say it all. Plain: the publisher owns it.
/// </summary>
public sealed class DeltaBuffer(long limitBytes)
{
    private readonly Queue<(TreeProtocol.TreeChanges Changes, long Bytes)> _queue = new();

    public long LimitBytes { get; } = limitBytes;
    public long Bytes { get; private set; }
    public int Count => _queue.Count;
    /// <summary>Times the bound was passed, and the batches of changes dropped then.</summary>
    public long Overflows { get; private set; }
    public long Discarded { get; private set; }

    /// <summary>Holds <paramref name="changes"/>; false when that passed the bound and everything held was dropped.</summary>
    public bool Add(TreeProtocol.TreeChanges changes)
    {
        var bytes = SizeOf(changes);
        if (Bytes + bytes > LimitBytes)
        {
            Overflows++;
            Discarded += _queue.Count + 1;
            Clear();
            return false;
        }
        _queue.Enqueue((changes, bytes));
        Bytes += bytes;
        return true;
    }

    public bool TryTake(out TreeProtocol.TreeChanges changes)
    {
        if (!_queue.TryDequeue(out var item)) { changes = null!; return false; }
        Bytes -= item.Bytes;
        changes = item.Changes;
        return true;
    }

    public void Clear()
    {
        _queue.Clear();
        Bytes = 0;
    }

    public static long SizeOf(TreeProtocol.TreeChanges changes)
    {
        long bytes = 64;
        if (!changes.Processes.IsDefault) foreach (var c in changes.Processes) bytes += WireSize.Of(c.Process);
        if (!changes.Containers.IsDefault) foreach (var c in changes.Containers) bytes += WireSize.Of(c.Container);
        return bytes;
    }
}
