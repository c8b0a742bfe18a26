using Akka.Actor;
using Godo.Aggregator.History;
using Godo.Aggregator.Storage;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.History;

/// <summary>
/// A host's entity moves between members: the history writer of the member it moves to goes on from what the store holds
/// open for that host (a real SQLite file, two writers as two members), and a recovered state mends what a killed
/// member never wrote.
/// </summary>
public sealed class HistoryWriterMoveTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_928_672_000);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godo-history-move-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly HistoryStore _store;

    public HistoryWriterMoveTests() => _store = new HistoryStore(new StorageSettings { DataDir = _dir }.Target, _dir);

    private IActorRef Writer() => Sys.ActorOf(HistoryWriterActor.Props(_store, new HistoryOptions { KeyframeEvery = TimeSpan.FromSeconds(1) }));

    private static Task Flush(IActorRef writer) => writer.Ask<HistoryProtocol.Flushed>(new HistoryProtocol.Flush(), TimeSpan.FromSeconds(60));

    private static ProcessInfo P(int pid, long startMs, string exe = "/bin/sleep") =>
        new() { Pid = pid, Ppid = 1, Exe = exe, Comm = Path.GetFileName(exe), Argv = [exe, pid.ToString()], StartedAt = T0.AddMilliseconds(startMs) };

    private static HostSnapshot Snapshot(long sequence, long ms, params ProcessInfo[] processes) =>
        new("h", "i", sequence, DateTimeOffset.UtcNow, [.. processes], [], new AgentStats(), EventTime: T0.AddMilliseconds(ms));

    private static HostDelta Delta(long sequence, long ms, params ProcessChange[] changes) =>
        new("h", "i", sequence, DateTimeOffset.UtcNow, [.. changes], [], T0.AddMilliseconds(ms));

    private List<string> TreeAt(long ms) =>
        _store.TreeAt("h", T0.AddMilliseconds(ms)).Tree!.Processes.Select(p => $"{p.Pid} {string.Join(' ', p.Argv)}").ToList();

    [Fact]
    public async Task The_member_a_host_moves_to_closes_and_changes_the_versions_recorded_before()
    {
        var first = Writer();
        first.Tell(new HistoryProtocol.Applied(Snapshot(1, 0, P(1, -5000, "/sbin/init"), P(100, -10), P(101, -10))));
        await Flush(first);
        first.Tell(new HistoryProtocol.Released("h"));

        // The next member knew nothing of h when it started: what it records must close what the first one opened.
        var second = Writer();
        second.Tell(new HistoryProtocol.Applied(Delta(2, 1000,
            new ProcessChange(ProcessChangeKind.Removed, P(100, -10), T0.AddMilliseconds(1000)),
            new ProcessChange(ProcessChangeKind.Upsert, P(101, -10) with { Argv = ["sh", "-c", "step 2"], Exe = "/bin/sh" }, T0.AddMilliseconds(1000)))));
        await Flush(second);

        Assert.Equal(["1 /sbin/init 1", "100 /bin/sleep 100", "101 /bin/sleep 101"], TreeAt(500));
        Assert.Equal(["1 /sbin/init 1", "101 sh -c step 2"], TreeAt(1500));
    }

    [Fact]
    public async Task A_recovered_state_ends_what_it_no_longer_has_and_begins_what_the_history_lacks()
    {
        var killed = Writer();
        killed.Tell(new HistoryProtocol.Applied(Snapshot(1, 0, P(1, -5000, "/sbin/init"), P(100, -10), P(101, -10))));
        await Flush(killed);
        // Its member dies before writing the delta that ended 100 and started 102 at 1000 ms; the journal kept it.
        var survivor = Writer();
        survivor.Tell(new HistoryProtocol.Recovered(Snapshot(2, 0, P(1, -5000, "/sbin/init"), P(101, -10), P(102, 1000)) with { EventTime = null }));
        await Flush(survivor);

        Assert.Equal(["1 /sbin/init 1", "100 /bin/sleep 100", "101 /bin/sleep 101"], TreeAt(500));
        Assert.Equal(["1 /sbin/init 1", "101 /bin/sleep 101", "102 /bin/sleep 102"], TreeAt(1500));
    }

    private static ProcessChange Change(ProcessChangeKind kind, ProcessInfo p, long ms, int? code = null) =>
        new(kind, kind == ProcessChangeKind.Exited ? p with { ExitedAt = T0.AddMilliseconds(ms) } : p, T0.AddMilliseconds(ms), ExitCode: code);

    /// <summary>
    /// The symptom of HistoryCorpusTests' flake (a process forked at a checkpoint missing there) by another way: the
    /// entity stopped and recovered on the same member (a failed journal write stops a persistent actor; an exception
    /// restarts it) from a journal written behind the history, which lacked the fork recorded at the very millisecond
    /// of the history's last time. Filing the state's difference at that time closed the fork at its own start
    /// (invisible), and the deltas lost with the stop never came to open it again.
    /// </summary>
    [Fact]
    public async Task A_state_recovered_from_a_journal_behind_the_history_ends_nothing_the_history_began()
    {
        var writer = Writer();
        var script = P(19, -2100, "/bin/bash");
        writer.Tell(new HistoryProtocol.Applied(Snapshot(1, -2000, script, P(20, -2000))));
        var d2 = Delta(2, 109, Change(ProcessChangeKind.Exited, P(20, -2000), 105, code: 0),
            Change(ProcessChangeKind.Upsert, P(22, 105, "/bin/true"), 109), Change(ProcessChangeKind.Exited, P(22, 105, "/bin/true"), 109, code: 0));
        writer.Tell(new HistoryProtocol.Applied(d2));
        writer.Tell(new HistoryProtocol.Applied(Delta(3, 109, Change(ProcessChangeKind.Upsert, P(23, 109, "/bin/bash"), 109))));
        // The entity stops; its journal has sequence 2, not 3.
        writer.Tell(new HistoryProtocol.Released("h"));
        var journal = Snapshot(2, -2000, script, P(20, -2000) with { ExitedAt = T0.AddMilliseconds(105) }, P(22, 105, "/bin/true") with { ExitedAt = T0.AddMilliseconds(109) });
        writer.Tell(new HistoryProtocol.Recovered(journal with { EventTime = null }, [d2]));
        // The deltas after it were lost with the stop: the gap is mended by the agent's next snapshot, 23 gone by then.
        writer.Tell(new HistoryProtocol.Applied(Snapshot(9, 1200, script)));
        await Flush(writer);

        Assert.Equal(["19 /bin/bash 19", "23 /bin/bash 23"], TreeAt(109));
        Assert.Equal(["19 /bin/bash 19"], TreeAt(1300));
    }

    /// <summary>
    /// A member dies with the history of its last deltas unwritten, its journal has them: the member the host moves to
    /// records them at their own times (exits with their codes), not all at the moment of the recovery.
    /// </summary>
    [Fact]
    public async Task What_a_killed_member_never_wrote_is_dated_from_the_journal_it_left()
    {
        var init = P(1, -5000, "/sbin/init");
        var first = Snapshot(1, 0, init, P(100, -10), P(101, -10));
        var d2 = Delta(2, 1000, Change(ProcessChangeKind.Upsert, P(102, 1000), 1000));
        var d3 = Delta(3, 2000, Change(ProcessChangeKind.Exited, P(100, -10), 2000, code: 3), Change(ProcessChangeKind.Upsert, P(103, 1900), 1900));
        var d4 = Delta(4, 3000, Change(ProcessChangeKind.Upsert, P(101, -10) with { Exe = "/bin/sh", Argv = ["sh", "-c", "step 2"] }, 2500),
            Change(ProcessChangeKind.Removed, P(100, -10) with { ExitedAt = T0.AddMilliseconds(2000) }, 3000));
        var killed = Writer();
        killed.Tell(new HistoryProtocol.Applied(first));
        killed.Tell(new HistoryProtocol.Applied(d2));
        await Flush(killed);
        // d3 and d4 reached its journal, never its history; the survivor replays the journal (d2, already in the history, too).
        var state = Snapshot(4, 0, init, P(101, -10) with { Exe = "/bin/sh", Argv = ["sh", "-c", "step 2"] }, P(102, 1000), P(103, 1900)) with { EventTime = null };
        var survivor = Writer();
        survivor.Tell(new HistoryProtocol.Recovered(state, [d2, d3, d4]));
        await Flush(survivor);

        Assert.Equal(["1 /sbin/init 1", "100 /bin/sleep 100", "101 /bin/sleep 101", "102 /bin/sleep 102"], TreeAt(1500));
        Assert.Equal(["1 /sbin/init 1", "100 /bin/sleep 100", "101 /bin/sleep 101", "102 /bin/sleep 102", "103 /bin/sleep 103"], TreeAt(1950));
        Assert.Equal(["1 /sbin/init 1", "101 /bin/sleep 101", "102 /bin/sleep 102", "103 /bin/sleep 103"], TreeAt(2100));
        Assert.Equal(["1 /sbin/init 1", "101 sh -c step 2", "102 /bin/sleep 102", "103 /bin/sleep 103"], TreeAt(2600));
        var exit = Assert.Single(_store.Processes(new HistoryQuery(T0.ToUnixTimeMilliseconds(), T0.ToUnixTimeMilliseconds() + 5000, "h")), p => p.Process.Pid == 100);
        Assert.Equal((T0.AddMilliseconds(2000), (int?)3), (exit.Process.ExitedAt, exit.ExitCode));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
