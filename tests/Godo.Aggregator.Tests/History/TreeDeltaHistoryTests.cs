using System.Text;
using System.Text.Json;
using Godo.Agent.Replay;
using Godo.Agent.Tree;
using Godo.Aggregator.History;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.History;

/// <summary>
/// The agent's deltas (<see cref="ProcessTree.DrainDelta"/>) recorded as history (<see cref="HistoryRecorder"/>), both
/// pure: the versions alive at every event time of a log are the tree the log gave at that time, however the deltas
/// were batched. The hostile corpus forks each process as root and execs it as 0, 1000 or 65534, and its exit
/// records name uid 0 again: a uid (or argv, exe) from the wrong step shows at once.
/// </summary>
public sealed class TreeDeltaHistoryTests
{
    [Theory]
    [InlineData(1)]     // a delta after every event
    [InlineData(5)]
    [InlineData(1000)]  // the whole log in one delta: each process's fork, exec and exit in one batch
    public async Task History_at_every_event_time_is_the_tree_of_then_whatever_the_batching(int eventsPerDelta)
    {
        var (truth, history) = await Record(HostileCorpus.Generate(), eventsPerDelta);
        Assert.True(truth.Count > 20);
        foreach (var (t, expected) in truth)
            Assert.Equal(expected, AliveAt(history, t));
    }

    /// <summary>
    /// HistoryCorpusTests' flake: a drain late by more than the deletion delay (the agent's timer behind a burst of
    /// events, on a loaded machine) found processes forked, exited and deleted since the last one, and sent a bare
    /// removal: their whole life never reached the history (fleet-churn's 16723 missing at 0-baseline).
    /// </summary>
    [Theory]
    [InlineData(400)]           // several seconds of fleet-churn's event time per delta
    [InlineData(int.MaxValue)]  // the whole log in one delta
    public async Task A_life_begun_and_deleted_between_two_drains_is_history_too(int eventsPerDelta)
    {
        var log = File.ReadAllText(HistoryCorpusFixture.CorpusPath("fleet-churn"));
        var (_, history) = await Record(log, eventsPerDelta);
        var (_, everyEvent) = await Record(log, 1);
        // Every life, with its exit, whatever the batching (302 processes; 7 when the whole log was one bare delta).
        static IEnumerable<(int, long, long?)> Lives(Dictionary<(int, long, long), ProcessVersionRow> rows) =>
            rows.Values.GroupBy(v => (v.Pid, v.StartedAt)).Select(g => (g.Key.Pid, g.Key.StartedAt, g.Max(v => v.ExitedAt))).Order();
        Assert.True(Lives(everyEvent).Count() > 300);
        Assert.Equal(Lives(everyEvent), Lives(history));
    }

    [Fact]
    public async Task One_delta_for_the_whole_log_still_holds_each_step_at_its_own_time()
    {
        var (_, history) = await Record(HostileCorpus.Generate(), int.MaxValue);
        // pid 40003: forked by the root shell at +5 ms, exec'd as 65534 at +6, exit_group (as uid 0) at +25
        var versions = history.Values.Where(v => v.Pid == 40003).OrderBy(v => v.ValidFrom).ToList();
        Assert.Equal([0, 65534, 0], versions.Select(v => v.Uid ?? -1));
        Assert.Equal(["/bin/sh", "sleep", "sleep"], versions.Select(v => JsonSerializer.Deserialize<string[]>(v.Argv)![0]));
        var start = versions[0].ValidFrom;
        Assert.Equal([start, start + 1, start + 20], versions.Select(v => v.ValidFrom));
        Assert.Equal(start + 20, versions[^1].ExitedAt);
    }

    /// <summary>The truth at each event time (the tree after its last event of that millisecond) and the history's rows (last write of each key).</summary>
    private static async Task<(SortedDictionary<long, string> Truth, Dictionary<(int, long, long), ProcessVersionRow> History)> Record(string log, int eventsPerDelta)
    {
        var replay = new SyncReplay();
        replay.Tree.TrackChanges = true;
        var recorder = new HistoryRecorder();
        var rows = new Dictionary<(int, long, long), ProcessVersionRow>();
        var truth = new SortedDictionary<long, string>();
        var seq = 0L;
        var pending = 0;
        void Send(ProcessTree tree)
        {
            var delta = tree.DrainDelta();
            var batch = recorder.Record(new HostDelta("h", "inc", ++seq, DateTimeOffset.UtcNow, delta.Processes, [], DateTimeOffset.FromUnixTimeMilliseconds(tree.NowMs)));
            foreach (var r in batch.Processes) rows[(r.Pid, r.StartedAt, r.ValidFrom)] = r;
            pending = 0;
        }
        replay.AfterApply = (_, tree) =>
        {
            truth[tree.NowMs] = Fingerprint(tree.Snapshot("h", DateTimeOffset.FromUnixTimeMilliseconds(tree.NowMs)).Processes);
            if (++pending >= eventsPerDelta) Send(tree);
        };
        await replay.RunAsync(new MemoryStream(Encoding.UTF8.GetBytes(log)));
        Send(replay.Tree);
        return (truth, rows);
    }

    private static string AliveAt(Dictionary<(int, long, long), ProcessVersionRow> rows, long t) =>
        Fingerprint(rows.Values.Where(v => v.ValidFrom <= t && (v.ValidTo is null || v.ValidTo > t))
            .GroupBy(v => v.Pid).Select(g => g.MaxBy(v => v.StartedAt)!).Select(v => HistoryRecorder.Info(v, withExit: false)));

    private static string Fingerprint(IEnumerable<ProcessInfo> processes) =>
        string.Join('\n', processes.OrderBy(p => p.Pid).Select(p => JsonSerializer.Serialize(ProcessCaps.Default.Apply(p), GodoJsonContext.Default.ProcessInfo)));
}
