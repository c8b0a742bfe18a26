using System.Data.Common;
using Akka.Actor;
using Akka.Hosting;
using Godo.Aggregator.History;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.Storage;
using Godo.Aggregator.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.Storage;

/// <summary>
/// Retention on a real store, through a whole aggregator under steady load (<see cref="SteadyLoad"/>) with a history
/// retention of 20 s: the journal keeps only each host's newest snapshot and the events after it, the history only
/// its last 20 s, and the store's size (what godo_store_bytes reports) stops growing once warm.
/// </summary>
public abstract class StoreRetentionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(20);
    private const int SnapshotEvery = 50;

    protected abstract StorageSettings Storage { get; }

    [Fact]
    public async Task Under_steady_load_the_journal_keeps_the_live_trees_the_history_its_retention_and_the_store_stays_flat()
    {
        var storage = Storage with { HistoryRetention = Retention, HistoryBytes = 256L << 20 };
        var node = await AggregatorNode.StartAsync(new AggregatorSettings
        {
            Storage = storage,
            StaleAfter = TimeSpan.FromMinutes(10), DownAfter = TimeSpan.FromMinutes(20),
            Hosts = new HostEntityOptions { SnapshotEvery = SnapshotEvery, SnapshotInterval = TimeSpan.FromSeconds(5) },
        });
        await using var _ = node;
        var load = new SteadyLoad(node.System);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);

        // Warm: the history has filled its 20 s and been swept, and on PostgreSQL the journal has been vacuumed
        // (StoreVacuum, once a minute); then the size is sampled for a minute more.
        var samples = new List<(TimeSpan At, long Deltas, long Bytes)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var warm = TimeSpan.FromSeconds(80);
        var end = warm + TimeSpan.FromSeconds(60);
        while (clock.Elapsed < end)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            samples.Add((clock.Elapsed, load.Deltas, await StoreSize.MeasureAsync(storage.Target)));
        }
        stop.Cancel();
        await running;
        foreach (var s in samples) output.WriteLine($"{s.At.TotalSeconds,6:0} s  {s.Deltas,7} deltas  {s.Bytes,10} bytes");

        // The load really ran at a pace that would grow an unbounded store (~1 KiB per delta in the journal alone).
        var steady = samples.Where(s => s.At >= warm).ToList();
        Assert.True(steady.Count >= 6, $"only {steady.Count} samples after the warm-up");
        var sent = steady[^1].Deltas - steady[0].Deltas;
        Assert.True(sent > 1000, $"only {sent} deltas sent while measuring");
        // Flat: the highest size of the minute after the warm-up is at most that of the minute before it, give or take
        // 15 % and 512 KiB (an index page split, a sweep or a vacuum that comes late). PostgreSQL's is a saw-tooth
        // (the journal grows until the next VACUUM, which gives the end of the table back); its peaks stop growing.
        // An unbounded store grows by more in a minute: the rows of 2,400 deltas in the journal and in the history.
        var before = samples.Where(s => s.At < warm && s.At >= warm - TimeSpan.FromSeconds(60)).Max(s => s.Bytes);
        var after = steady.Max(s => s.Bytes);
        Assert.True(after <= before + before * 15 / 100 + (512 << 10), $"the store grew from {before} to {after} bytes after the warm-up while {sent} deltas came");

        // The journal: per host about a snapshot's worth of events and one snapshot (two while one replaces the other).
        await Eventually.Until(async () => (await JournalRowsPerHostAsync(storage.Target)).All(n => n <= SnapshotEvery + 20), TimeSpan.FromSeconds(60),
            "the journal deleted the events before each host's snapshot");
        var journal = await JournalRowsPerHostAsync(storage.Target);
        output.WriteLine($"journal rows per host: {string.Join(", ", journal)}; snapshots per host: {string.Join(", ", await SnapshotRowsPerHostAsync(storage.Target))}");
        Assert.Equal(load.Hosts, journal.Count);
        Assert.All(await SnapshotRowsPerHostAsync(storage.Target), n => Assert.InRange(n, 1, 2));

        // The history: nothing that ended before the retention (plus a sweep's period) is left; the recent past is.
        var writer = ActorRegistry.For(node.System).Get<HistoryWriterActor>();
        await writer.Ask<HistoryProtocol.Flushed>(new HistoryProtocol.Flush(), TimeSpan.FromSeconds(60));
        await writer.Ask<long>(new HistoryProtocol.SweepNow(), TimeSpan.FromSeconds(60));
        var store = node.App.Services.GetRequiredService<HistoryStore>();
        var last = load.LastEventTime;
        var edge = (last - Retention - TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds();
        var old = store.Processes(new HistoryQuery(long.MinValue, edge, SteadyLoad.HostName(0)));
        Assert.DoesNotContain(old, l => l.Process.ExitedAt is { } x && x.ToUnixTimeMilliseconds() < edge);
        var recent = store.Processes(new HistoryQuery((last - TimeSpan.FromSeconds(10)).ToUnixTimeMilliseconds(), last.ToUnixTimeMilliseconds(), SteadyLoad.HostName(0)));
        Assert.Contains(recent, l => l.Process.ExitedAt is not null);
        Assert.NotNull(store.TreeAt(SteadyLoad.HostName(0), last - TimeSpan.FromSeconds(90)).Missing);
    }

    [Fact]
    public void Past_its_bytes_the_history_deletes_its_oldest_and_then_stops()
    {
        var store = new HistoryStore(Storage.Target, Storage.DataDir);
        var rec = new HistoryRecorder(TimeSpan.FromSeconds(10));
        var t0 = DateTimeOffset.UtcNow.AddHours(-1);
        var batch = new HistoryBatch();
        for (var pid = 2; pid < 8_002; pid++)
        {
            var at = t0.AddMilliseconds(pid * 10);
            var p = new Godo.Messages.Model.ProcessInfo { Pid = pid, Ppid = 1, Exe = "/bin/true", Comm = "true", Argv = ["/bin/true", $"--n={pid}"], StartedAt = at, ExitedAt = at.AddMilliseconds(5) };
            batch.Add(rec.Record(new Godo.Messages.Wire.HostDelta("budget", "i", pid, at, [new(Godo.Messages.Wire.ProcessChangeKind.Exited, p, p.ExitedAt, ExitCode: 0)], [], p.ExitedAt)));
            if (pid % 2000 == 0) { store.Write(batch); batch = new HistoryBatch(); }
        }
        store.Write(batch);
        Analyze();
        var before = store.SizeBytes();
        store.Sweep(TimeSpan.FromDays(7), before / 2);
        var after = store.SizeBytes();
        output.WriteLine($"history {before} bytes, limit {before / 2}, after the sweep {after}");
        Assert.InRange(after, before / 8, before / 2 + before / 10);
        // The newest is kept, the oldest gone; a second sweep under the limit deletes nothing.
        var end = t0.AddMilliseconds(8_002 * 10);
        Assert.NotEmpty(store.Processes(new HistoryQuery(end.AddSeconds(-10).ToUnixTimeMilliseconds(), long.MaxValue, "budget")));
        Assert.Empty(store.Processes(new HistoryQuery(long.MinValue, t0.AddSeconds(10).ToUnixTimeMilliseconds(), "budget")));
        Assert.Equal(0, store.Sweep(TimeSpan.FromDays(7), before / 2));
    }

    /// <summary>Fresh statistics, as autovacuum would give them in a while (PostgreSQL's live-row count).</summary>
    private void Analyze()
    {
        if (Storage.Target.Provider != StorageProvider.Postgres) return;
        using var c = new NpgsqlConnection(Storage.Target.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand("ANALYZE", c);
        cmd.ExecuteNonQuery();
    }

    private static Task<List<long>> JournalRowsPerHostAsync(StorageTarget target) =>
        CountsAsync(target, "SELECT COUNT(*) FROM journal WHERE persistence_id LIKE 'host-steady-%' GROUP BY persistence_id");

    private static Task<List<long>> SnapshotRowsPerHostAsync(StorageTarget target) =>
        CountsAsync(target, "SELECT COUNT(*) FROM snapshot WHERE persistence_id LIKE 'host-steady-%' GROUP BY persistence_id");

    private static async Task<List<long>> CountsAsync(StorageTarget target, string sql)
    {
        await using DbConnection c = target.Provider == StorageProvider.Postgres ? new NpgsqlConnection(target.ConnectionString) : new SqliteConnection(target.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        var counts = new List<long>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) counts.Add(Convert.ToInt64(r.GetValue(0)));
        return counts;
    }
}

public sealed class SqliteStoreRetentionTests(ITestOutputHelper output) : StoreRetentionTests(output), IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godo-retention-" + Guid.NewGuid().ToString("N"));

    protected override StorageSettings Storage => new() { DataDir = _dir };

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

public sealed class PostgresStoreRetentionTests(PostgresDatabase database, ITestOutputHelper output) : StoreRetentionTests(output), IClassFixture<PostgresDatabase>
{
    protected override StorageSettings Storage => new() { Journal = database.Url };
}
