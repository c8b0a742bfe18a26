using Godo.Aggregator.History;
using Godo.Aggregator.Storage;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.History;

/// <summary>The store on a real SQLite file: trees at T across keyframes, windows, and retention keeping its size flat.</summary>
public sealed class HistoryStoreTests(ITestOutputHelper output) : HistoryStoreChecks, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godo-history-store-" + Guid.NewGuid().ToString("N")[..8]);

    protected override HistoryStore Store() =>
        new(new StorageSettings { DataDir = _dir }.Target, _dir);

    [Fact]
    public void Under_steady_load_with_a_tiny_retention_the_store_stays_the_same_size()
    {
        var store = Store();
        var rec = new HistoryRecorder(TimeSpan.FromSeconds(10));
        var retention = TimeSpan.FromSeconds(30);
        var file = Path.Combine(_dir, StorageSettings.SqliteFileName);
        long ms = 0;
        var pid = 1000;
        var sizes = new List<(long Bytes, long File)>();
        // 10 short-lived processes per second of event time, 6 rounds of 60 s (written 10 s at a time); a sweep after each round.
        for (var round = 0; round < 6; round++)
        {
            var batch = new HistoryBatch();
            for (var s = 0; s < 60; s++, ms += 1000)
            {
                var changes = new List<ProcessChange>();
                for (var k = 0; k < 10; k++, pid++)
                {
                    var p = P(pid, ms + k, "/usr/bin/worker-" + (k % 7)) with { ExitedAt = T0.AddMilliseconds(ms + k + 400) };
                    changes.Add(new ProcessChange(ProcessChangeKind.Exited, p, p.ExitedAt, ExitCode: k % 3));
                }
                batch.Add(rec.Record(Delta("steady", ms + 999, [.. changes])));
                if (s % 10 == 9) { store.Write(batch); batch = new HistoryBatch(); }
            }
            store.Sweep(retention, long.MaxValue);
            // The file as it stands once the write-ahead log is folded in (SQLite does so by itself every 1,000 pages).
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file}"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                cmd.ExecuteNonQuery();
            }
            sizes.Add((store.SizeBytes(), new FileInfo(file).Length));
        }
        output.WriteLine(string.Join("\n", sizes.Select((s, i) => $"round {i}: history {s.Bytes} bytes, file {s.File} bytes")));
        // Nothing older than the retention (before the host's newest event time) is left.
        var edge = T0.AddMilliseconds(ms - 1 - retention.TotalMilliseconds).ToUnixTimeMilliseconds();
        Assert.Empty(store.Processes(new HistoryQuery(long.MinValue, edge - 1, "steady")));
        Assert.NotNull(store.TreeAt("steady", T0.AddMilliseconds(ms - 120_000)).Missing);
        Assert.NotEmpty(store.Processes(new HistoryQuery(edge + 1000, long.MaxValue, "steady")));
        // Flat: from the second round on, the history and the file stop growing (freed pages are reused).
        var steady = sizes.Skip(2).ToList();
        Assert.True(steady.Max(s => s.Bytes) <= sizes[1].Bytes * 1.3, "the history's size grows under steady load");
        Assert.True(steady.Max(s => s.File) <= Math.Max(sizes[2].File, sizes[1].File) * 1.3, "the file grows under steady load");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The store's rules, on each database it runs on.</summary>
public abstract class HistoryStoreChecks
{
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_928_672_000);
    private long _seq;

    protected abstract HistoryStore Store();

    protected HostDelta Delta(string host, long ms, params ProcessChange[] changes) =>
        new(host, "i", ++_seq, DateTimeOffset.UtcNow, [.. changes], [], T0.AddMilliseconds(ms));

    protected static ProcessInfo P(int pid, long startMs, string exe) =>
        new() { Pid = pid, Ppid = 1, Exe = exe, Comm = Path.GetFileName(exe), Argv = [exe, "--flag"], StartedAt = T0.AddMilliseconds(startMs) };

    [Fact]
    public void The_tree_at_T_is_what_was_alive_then_across_keyframes()
    {
        var store = Store();
        var rec = new HistoryRecorder(TimeSpan.FromSeconds(1));
        void Apply(IHostMessage m) => store.Write(rec.Record(m));
        Apply(new HostSnapshot("h", "i", 0, DateTimeOffset.UtcNow, [P(1, -5000, "/sbin/init")], [], new AgentStats(), EventTime: T0));
        // pid 100+i starts at i s and exits at i s + 2.5 s, for 20 s: several keyframes pass.
        for (var i = 1; i <= 20; i++)
        {
            var ms = i * 1000L;
            var changes = new List<ProcessChange> { new(ProcessChangeKind.Upsert, P(100 + i, ms, "/bin/sleep"), T0.AddMilliseconds(ms)) };
            if (i > 2)
            {
                var dead = P(100 + i - 2, ms - 2000, "/bin/sleep") with { ExitedAt = T0.AddMilliseconds(ms + 500) };
                changes.Add(new ProcessChange(ProcessChangeKind.Exited, dead, dead.ExitedAt, ExitCode: 0));
            }
            Apply(Delta("h", ms + 600, [.. changes]));
        }
        foreach (var t in new long[] { 0, 999, 1000, 2500, 3499, 3500, 10_250, 19_999, 25_000 })
        {
            var tree = store.TreeAt("h", T0.AddMilliseconds(t)).Tree!;
            var expected = new List<int> { 1 };
            for (var i = 1; i <= 20; i++)
            {
                var start = i * 1000L;
                var exit = i <= 18 ? start + 2500 : long.MaxValue;
                if (start <= t && t < exit) expected.Add(100 + i);
            }
            Assert.Equal(expected, tree.Processes.Select(p => p.Pid));
            Assert.All(tree.Processes, p => Assert.Null(p.ExitedAt));
        }
        Assert.NotNull(store.TreeAt("h", T0.AddMilliseconds(-1)).Missing);
        Assert.NotNull(store.TreeAt("nobody", T0).Missing);
        // A window sees the exited with their exit.
        var lives = store.Processes(new HistoryQuery(T0.AddMilliseconds(3000).ToUnixTimeMilliseconds(), T0.AddMilliseconds(3200).ToUnixTimeMilliseconds(), "h"));
        Assert.Equal([103, 102, 101, 1], lives.Select(l => l.Process.Pid));
        Assert.Equal(T0.AddMilliseconds(3500), lives.Single(l => l.Process.Pid == 101).Process.ExitedAt);
        Assert.Equal(0, lives.Single(l => l.Process.Pid == 101).ExitCode);
    }

    [Fact]
    public void A_window_search_finds_a_life_by_any_of_its_versions_in_the_window_and_shows_the_one_that_matched()
    {
        var store = Store();
        var rec = new HistoryRecorder();
        var sh = P(20, 100, "/bin/sh") with { Argv = ["sh", "-c", "rm -rf /tmp/x; exec sleep 5"] };
        var sleep = sh with { Exe = "/bin/sleep", Comm = "sleep", Argv = ["sleep", "5"] };
        store.Write(rec.Record(Delta("h", 100, new ProcessChange(ProcessChangeKind.Upsert, sh, T0.AddMilliseconds(100)))));
        store.Write(rec.Record(Delta("h", 300, new ProcessChange(ProcessChangeKind.Upsert, sleep, T0.AddMilliseconds(300)))));
        List<ProcessLife> Find(long from, long to, string? exe = null, string? argv = null) =>
            store.Processes(new HistoryQuery(T0.AddMilliseconds(from).ToUnixTimeMilliseconds(), T0.AddMilliseconds(to).ToUnixTimeMilliseconds(), "h", Exe: exe, Argv: argv));
        // it ran `rm -rf` before its exec: found, as it was then
        Assert.Equal(["sh", "-c", "rm -rf /tmp/x; exec sleep 5"], Assert.Single(Find(0, 1000, argv: "rm -rf")).Process.Argv.ToArray());
        Assert.Equal("/bin/sh", Assert.Single(Find(0, 1000, exe: "/bin/sh")).Process.Exe);
        // no filter, or one its last version matches: as last seen in the window
        Assert.Equal(["sleep", "5"], Assert.Single(Find(0, 1000)).Process.Argv.ToArray());
        Assert.Equal(["sleep", "5"], Assert.Single(Find(0, 1000, argv: "5")).Process.Argv.ToArray());
        // a window after its exec holds no `rm -rf`; one before it no `sleep 5`
        Assert.Empty(Find(400, 1000, argv: "rm -rf"));
        Assert.Empty(Find(100, 200, exe: "sleep"));
    }

    [Fact]
    public void Writing_the_same_rows_twice_keeps_one_copy()
    {
        var store = Store();
        var batch = new HistoryRecorder().Record(Delta("h", 100, new ProcessChange(ProcessChangeKind.Upsert, P(10, 50, "/bin/sh"), T0.AddMilliseconds(50))));
        store.Write(batch);
        store.Write(batch); // a second aggregator recording the same host
        Assert.Equal([10], store.TreeAt("h", T0.AddMilliseconds(100)).Tree!.Processes.Select(p => p.Pid));
        Assert.Single(store.Processes(new HistoryQuery(long.MinValue, long.MaxValue, "h")));
    }

    [Fact]
    public void A_key_written_twice_in_one_batch_keeps_its_last_row()
    {
        var store = Store();
        var rec = new HistoryRecorder();
        // Opened and closed within one batch: the version's row comes twice (open, then closed), so does the host's.
        var batch = rec.Record(Delta("h", 100, new ProcessChange(ProcessChangeKind.Upsert, P(10, 50, "/bin/sh"), T0.AddMilliseconds(50))));
        var exited = P(10, 50, "/bin/sh") with { ExitedAt = T0.AddMilliseconds(700) };
        batch.Add(rec.Record(Delta("h", 800, new ProcessChange(ProcessChangeKind.Exited, exited, exited.ExitedAt, ExitCode: 3))));
        Assert.True(batch.Processes.Count > batch.Processes.Select(r => (r.Host, r.Pid, r.StartedAt, r.ValidFrom)).Distinct().Count());
        store.Write(batch);
        Assert.Equal([10], store.TreeAt("h", T0.AddMilliseconds(600)).Tree!.Processes.Select(p => p.Pid));
        Assert.Empty(store.TreeAt("h", T0.AddMilliseconds(700)).Tree!.Processes);
        var life = Assert.Single(store.Processes(new HistoryQuery(long.MinValue, long.MaxValue, "h")));
        Assert.Equal(T0.AddMilliseconds(700), life.Process.ExitedAt);
        Assert.Equal(3, life.ExitCode);
        Assert.Equal(T0.AddMilliseconds(800).ToUnixTimeMilliseconds(), store.Coverage("h")!.LastAt);

        // The same key with other columns, twice in one batch: the later row is stored, whole.
        var row = new ProcessVersionRow { Host = "k", Pid = 7, StartedAt = 5, ValidFrom = 5, Exe = "/bin/a", Argv = "[\"a\"]", Comm = "a" };
        var twice = new HistoryBatch();
        twice.Processes.Add(row);
        twice.Processes.Add(row with { Exe = "/bin/b", Argv = "[\"b\",\"x y\"]", Comm = null, ValidTo = 9, ExitedAt = 9, Signal = 15, ArgvTruncated = true, Uid = 0 });
        twice.Hosts.Add(new HistoryHostRow { Host = "k", FirstAt = 5, LastAt = 9 });
        twice.Hosts.Add(new HistoryHostRow { Host = "k", FirstAt = 5, LastAt = 12 });
        store.Write(twice);
        var stored = Assert.Single(store.Processes(new HistoryQuery(long.MinValue, long.MaxValue, "k")));
        Assert.Equal("/bin/b", stored.Process.Exe);
        Assert.Equal(["b", "x y"], stored.Process.Argv.ToArray());
        Assert.Equal(15, stored.Signal);
        Assert.Null(stored.Process.Comm);
        Assert.True(stored.Process.ArgvTruncated);
        Assert.Equal(0, stored.Process.Uid);
        Assert.Equal(12, store.Coverage("k")!.LastAt);
        // A later batch with a narrower coverage (another aggregator, having seen less) keeps the wider one.
        var narrow = new HistoryBatch();
        narrow.Hosts.Add(new HistoryHostRow { Host = "k", FirstAt = 8, LastAt = 10 });
        store.Write(narrow);
        Assert.Equal((5L, 12L), (store.Coverage("k")!.FirstAt, store.Coverage("k")!.LastAt));
    }
}

/// <summary>The same rules on PostgreSQL, a fresh database for each test (sizes and hosts are the whole database's).</summary>
public sealed class PostgresHistoryStoreTests : HistoryStoreChecks, IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();

    protected override HistoryStore Store() => new(new StorageSettings { Journal = _database.Url }.Target);

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();
}
