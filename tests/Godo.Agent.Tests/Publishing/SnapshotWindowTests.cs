using System.Collections.Immutable;
using Godo.Agent.Publishing;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Tests.Publishing;

public sealed class SnapshotWindowTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);

    private static ImmutableArray<ProcessInfo> Processes(int count, int argvBytes) =>
        [.. Enumerable.Range(1, count).Select(i => new ProcessInfo { Pid = i, Ppid = 1, Argv = ["p", new string('a', argvBytes)] })];

    [Fact]
    public void A_big_tree_is_cut_into_pieces_under_the_size_that_keep_every_process_in_order()
    {
        var processes = Processes(2000, 10_000);
        var pieces = SnapshotWindow.Split(processes, 1024 * 1024, 5000);
        Assert.True(pieces.Length >= 19, $"{pieces.Length} pieces");
        Assert.All(pieces, p => Assert.True(p.Sum(WireSize.Of) <= 1024 * 1024));
        Assert.Equal(processes.Select(p => p.Pid), pieces.SelectMany(p => p).Select(p => p.Pid));
        Assert.Single(SnapshotWindow.Split([], 1024, 10)); // an empty tree is one (empty) piece
        Assert.Equal(3, SnapshotWindow.Split(Processes(3, 5000), 1024, 10).Length); // a process bigger than a piece goes alone
        Assert.Equal(4, SnapshotWindow.Split(Processes(10, 1), 1024 * 1024, 3).Length); // and pieces hold at most N processes
    }

    [Fact]
    public void Pieces_go_out_only_as_the_slowest_acking_aggregator_acks()
    {
        var w = new SnapshotWindow(5, Processes(100, 1), 250, 1, window: 4, AckTimeout, T0);
        Assert.Equal(100, w.Count);
        Assert.Equal([0, 1, 2, 3], w.Sendable(T0).Select(p => p.Index));
        Assert.Empty(w.Sendable(T0));
        object fast = "agg-1", slow = "agg-2";
        w.Ack(fast, 0, T0); w.Ack(fast, 1, T0); w.Ack(fast, 2, T0);
        Assert.Equal([4, 5, 6], w.Sendable(T0).Select(p => p.Index)); // only one aggregator so far
        w.Ack(slow, 0, T0);
        Assert.Empty(w.Sendable(T0)); // the slow one waits for piece 1: window up to 4
        w.Ack(slow, 3, T0.AddSeconds(1));
        Assert.Empty(w.Sendable(T0.AddSeconds(1))); // now the other is the slowest: min(3, 4) + 4 = up to piece 6
        // the slow one stops acking: after the timeout it no longer holds the window back
        w.Ack(fast, 10, T0.AddSeconds(12));
        Assert.Equal(Enumerable.Range(7, 8), w.Sendable(T0.AddSeconds(12)).Select(p => p.Index));
        Assert.False(w.Stalled(T0.AddSeconds(12)));
    }

    [Fact]
    public void A_snapshot_nobody_acks_stalls_after_the_timeout()
    {
        var w = new SnapshotWindow(1, Processes(20, 1), 250, 1, window: 2, AckTimeout, T0);
        Assert.Equal(2, w.Sendable(T0).Count());
        Assert.False(w.Stalled(T0.AddSeconds(9)));
        Assert.True(w.Stalled(T0.AddSeconds(11)));
        var done = new SnapshotWindow(1, Processes(1, 1), 250, 1, window: 2, AckTimeout, T0);
        Assert.Single(done.Sendable(T0));
        Assert.True(done.AllSent);
        Assert.False(done.Stalled(T0.AddMinutes(1))); // all sent: nothing left to stall
    }
}
