using System.Collections.Immutable;
using Godo.Aggregator.History;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.History;

/// <summary>The recorder's rules: how applied snapshots and deltas become versions, in event time.</summary>
public sealed class HistoryRecorderTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_928_672_000);
    private static DateTimeOffset At(int ms) => T0.AddMilliseconds(ms);
    private static long Ms(int ms) => T0.ToUnixTimeMilliseconds() + ms;
    private long _seq = 1;

    private static ProcessInfo P(int pid, int startMs, params string[] argv) =>
        new() { Pid = pid, Ppid = 1, Comm = argv.FirstOrDefault(), Argv = [.. argv], StartedAt = At(startMs) };

    private static HostSnapshot Snapshot(int eventMs, params ProcessInfo[] processes) =>
        new("h", "inc", 1, DateTimeOffset.UtcNow, [.. processes], [], new AgentStats(), EventTime: At(eventMs));

    private HostDelta Delta(int eventMs, params ProcessChange[] changes) =>
        new("h", "inc", ++_seq, DateTimeOffset.UtcNow, [.. changes], [], At(eventMs));

    private static ProcessChange Up(ProcessInfo p, int atMs) => new(ProcessChangeKind.Upsert, p, At(atMs));

    [Fact]
    public void A_new_process_opens_at_its_start_and_an_exec_closes_it_and_opens_the_next_at_the_change()
    {
        var r = new HistoryRecorder();
        r.Record(Snapshot(0));
        var fork = r.Record(Delta(100, Up(P(10, 50, "sh"), 50)));
        var v1 = Assert.Single(fork.Processes);
        Assert.Equal((Ms(50), (long?)null), (v1.ValidFrom, v1.ValidTo));
        var exec = r.Record(Delta(300, Up(P(10, 50, "sleep", "5"), 250)));
        Assert.Equal(2, exec.Processes.Count);
        Assert.Equal((Ms(50), (long?)Ms(250)), (exec.Processes[0].ValidFrom, exec.Processes[0].ValidTo));
        Assert.Equal("[\"sh\"]", exec.Processes[0].Argv);
        Assert.Equal((Ms(250), (long?)null), (exec.Processes[1].ValidFrom, exec.Processes[1].ValidTo));
        Assert.Equal("[\"sleep\",\"5\"]", exec.Processes[1].Argv);
    }

    [Fact]
    public void The_same_process_again_writes_nothing()
    {
        var r = new HistoryRecorder();
        r.Record(Delta(100, Up(P(10, 50, "sh"), 50)));
        Assert.Empty(r.Record(Delta(200, Up(P(10, 50, "sh"), 150))).Processes);
    }

    [Fact]
    public void An_exit_closes_the_version_at_the_exit_with_its_code_or_signal()
    {
        var r = new HistoryRecorder();
        r.Record(Delta(100, Up(P(10, 50, "sleep"), 50)));
        var exited = P(10, 50, "sleep") with { ExitedAt = At(700) };
        var batch = r.Record(Delta(800, new ProcessChange(ProcessChangeKind.Exited, exited, At(700), Signal: 9)));
        var v = Assert.Single(batch.Processes);
        Assert.Equal((Ms(50), (long?)Ms(700), (long?)Ms(700), (int?)9), (v.ValidFrom, v.ValidTo, v.ExitedAt, v.Signal));
        Assert.Empty(r.OpenVersions("h"));
        // The same exit again (touched after its exit) writes nothing.
        Assert.Empty(r.Record(Delta(900, new ProcessChange(ProcessChangeKind.Exited, exited, At(850)))).Processes);
        // Its deletion a second later changes nothing.
        Assert.Empty(r.Record(Delta(1800, new ProcessChange(ProcessChangeKind.Removed, exited, At(1700)))).Processes);
    }

    [Fact]
    public void A_change_on_the_way_out_closes_the_old_version_at_the_change_and_keeps_its_start()
    {
        var r = new HistoryRecorder();
        r.Record(Delta(100, Up(P(10, 50, "sleep"), 50)));
        // Its parent died: reparented to 1 and exited (a container's teardown) in the same delta.
        var gone = P(10, 50, "sleep") with { Ppid = 7, ExitedAt = At(900) };
        var batch = r.Record(Delta(1000, new ProcessChange(ProcessChangeKind.Exited, gone, At(900), Signal: 9)));
        Assert.Equal(2, batch.Processes.Count);
        Assert.Equal((Ms(50), (long?)Ms(900), 1, (long?)null), (batch.Processes[0].ValidFrom, batch.Processes[0].ValidTo, batch.Processes[0].Ppid, batch.Processes[0].ExitedAt));
        Assert.Equal((Ms(900), (long?)Ms(900), 7, (long?)Ms(900)), (batch.Processes[1].ValidFrom, batch.Processes[1].ValidTo, batch.Processes[1].Ppid, batch.Processes[1].ExitedAt));
    }

    [Fact]
    public void A_process_born_and_dead_within_one_delta_is_one_closed_version()
    {
        var r = new HistoryRecorder();
        r.Record(Snapshot(0));
        var p = P(11, 20, "true") with { ExitedAt = At(40) };
        var v = Assert.Single(r.Record(Delta(100, new ProcessChange(ProcessChangeKind.Exited, p, At(40), ExitCode: 0))).Processes);
        Assert.Equal((Ms(20), (long?)Ms(40), (int?)0), (v.ValidFrom, v.ValidTo, v.ExitCode));
    }

    [Fact]
    public void A_snapshot_closes_what_it_no_longer_has_and_keeps_what_is_unchanged()
    {
        var r = new HistoryRecorder();
        var first = r.Record(Snapshot(1000, P(1, 0, "init"), P(10, 10, "sh")));
        // Known only from the first record on.
        Assert.All(first.Processes, v => Assert.Equal(Ms(1000), v.ValidFrom));
        var second = r.Record(Snapshot(5000, P(1, 0, "init"), P(12, 3000, "top")));
        var closed = Assert.Single(second.Processes, v => v.Pid == 10);
        Assert.Equal(Ms(5000), closed.ValidTo);
        Assert.Null(closed.ExitedAt); // gone, but no exit was seen
        var opened = Assert.Single(second.Processes, v => v.Pid == 12);
        Assert.Equal(Ms(3000), opened.ValidFrom); // new to the history (a resync): it lived from its start
        Assert.DoesNotContain(second.Processes, v => v.Pid == 1);
    }

    [Fact]
    public void A_reused_pid_closes_the_older_process()
    {
        var r = new HistoryRecorder();
        r.Record(Delta(100, Up(P(10, 50, "a"), 50)));
        var batch = r.Record(Delta(900, Up(P(10, 800, "b"), 800)));
        Assert.Contains(batch.Processes, v => v.StartedAt == Ms(50) && v.ValidTo == Ms(800));
        Assert.Contains(batch.Processes, v => v.StartedAt == Ms(800) && v.ValidTo is null);
    }

    [Fact]
    public void Removed_without_an_exit_closes_at_the_change()
    {
        var r = new HistoryRecorder();
        r.Record(Delta(100, Up(P(10, 50, "a"), 50)));
        var v = Assert.Single(r.Record(Delta(600, new ProcessChange(ProcessChangeKind.Removed, P(10, 50, "a"), At(500)))).Processes);
        Assert.Equal(Ms(500), v.ValidTo);
    }

    [Fact]
    public void Keyframes_mark_the_first_record_then_every_interval_of_event_time_with_the_open_versions()
    {
        var r = new HistoryRecorder(TimeSpan.FromSeconds(10));
        var first = r.Record(Snapshot(1000, P(1, 0, "init")));
        Assert.Equal([HistoryRecorder.KeyframeMarkerPid, 1], first.Keyframes.Select(k => k.Pid).Order());
        Assert.All(first.Keyframes, k => Assert.Equal(Ms(1000), k.At));
        Assert.Empty(r.Record(Delta(5000, Up(P(10, 4000, "sh"), 4000))).Keyframes);
        var later = r.Record(Delta(12_000, Up(P(11, 11_000, "ls"), 11_000)));
        Assert.Equal([HistoryRecorder.KeyframeMarkerPid, 1, 10, 11], later.Keyframes.Select(k => k.Pid).Order());
        Assert.All(later.Keyframes, k => Assert.Equal(Ms(12_000), k.At));
    }

    [Fact]
    public void An_agent_without_event_times_is_filed_under_its_clock_and_an_empty_first_tree_under_nothing()
    {
        var r = new HistoryRecorder();
        Assert.True(r.Record(new HostSnapshot("h", "i", 1, T0, [], [], new AgentStats())).IsEmpty);
        var old = new HostDelta("h", "i", 2, At(400), [new ProcessChange(ProcessChangeKind.Upsert, P(10, 300, "sh"))], []);
        var batch = r.Record(old);
        Assert.Equal(Ms(300), Assert.Single(batch.Processes).ValidFrom);
        Assert.Equal(Ms(300), Assert.Single(batch.Hosts).FirstAt);
    }

    [Fact]
    public void Containers_are_versioned_by_what_they_are_not_by_their_process_count()
    {
        var r = new HistoryRecorder();
        var c = new ContainerInfo { Id = "c1", State = "running", StartedAt = At(100), ProcessCount = 1 };
        var d1 = new HostDelta("h", "i", 2, T0, [], [new ContainerChange(ContainerChangeKind.Upsert, c, At(150))], At(200));
        // From the change's own time (the agent dates when its shim's exec made it a container), not its shim's start.
        Assert.Equal(Ms(150), Assert.Single(r.Record(d1).Containers).ValidFrom);
        var d2 = d1 with { Sequence = 3, Containers = [new ContainerChange(ContainerChangeKind.Upsert, c with { ProcessCount = 5 }, At(300))] };
        Assert.Empty(r.Record(d2).Containers);
        var d3 = d1 with { Sequence = 4, Containers = [new ContainerChange(ContainerChangeKind.Gone, c, At(900))] };
        var gone = Assert.Single(r.Record(d3).Containers);
        Assert.Equal((Ms(900), true), (gone.ValidTo!.Value, gone.Gone));
    }
}
