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

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
