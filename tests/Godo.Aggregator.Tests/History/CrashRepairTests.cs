using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Pipeline;
using Godo.Agent.Replay;
using Godo.Aggregator.History;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.Storage;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.History;

/// <summary>The aggregator's default store, a SQLite file under --data.</summary>
public sealed class CrashRepairTests(ITestOutputHelper output) : CrashRepairChecks(output)
{
    protected override StorageSettings Store => new() { DataDir = Dir };
}

/// <summary>A cluster's shared store, PostgreSQL (--journal): the history's batched writes and the journal there.</summary>
public sealed class PostgresCrashRepairTests(PostgresDatabase database, ITestOutputHelper output) : CrashRepairChecks(output), IClassFixture<PostgresDatabase>
{
    protected override StorageSettings Store => new() { Journal = database.Url };
}

/// <summary>
/// A member dies with its newest history still unwritten, which its host's journal has: the host's entity, recovered
/// from that journal by the member started again on the same store, dates what the history lacked at its own times.
/// Real parts throughout: an aggregator on a real store, an agent replaying a recorded corpus through a ClusterClient,
/// the entity's journal, and the history writer told to lag by its flush interval (an hour) rather than by a hook.
/// Checked against `godo replay --until` at the corpus's checkpoints, and at every moment the tree changed against a
/// second aggregator fed the same records that never crashed (between checkpoints the two histories must agree with
/// each other; HistoryEveryMomentTests compares a history with replay at every moment).
/// </summary>
public abstract class CrashRepairChecks(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Corpus = "signal-deaths";
    private const string Host = "crash-repair";
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(90);
    protected readonly string Dir = Path.Combine(Path.GetTempPath(), "godo-crash-repair-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var o in Enumerable.Reverse(_owned)) await o.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    /// <summary>The store the killed member and the restarted one share.</summary>
    protected abstract StorageSettings Store { get; }

    private async Task<T> Own<T>(Task<T> starting) where T : IAsyncDisposable
    {
        var o = await starting;
        _owned.Add(o);
        return o;
    }

    [Fact]
    public async Task A_restarted_member_dates_from_the_journal_what_the_killed_one_never_wrote_to_the_history()
    {
        var clock = Stopwatch.StartNew();
        void Log(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s {what}");
        var path = HistoryCorpusFixture.CorpusPath(Corpus);

        // The first member: its history writes only when told (an hour between writes), its entities keep every event
        // in the journal (no Akka snapshot: a snapshot past the history's last row would leave nothing to date it by),
        // and it can die without leaving (no CoordinatedShutdown, as under kill -9).
        var first = await Own(AggregatorNode.StartAsync(new AggregatorSettings
        {
            Storage = Store with { HistoryFlushInterval = TimeSpan.FromHours(1) },
            Hosts = new HostEntityOptions { SnapshotEvery = 1_000_000, SnapshotInterval = TimeSpan.FromHours(1) },
            ExtraHocon = "akka.coordinated-shutdown.run-by-actor-system-terminate = off",
        }));
        var sent = new ConcurrentQueue<HostDelta>();
        var agent = await Own(AgentNode.StartAsync(Host, [first.Address], dropDelta: d => { sent.Enqueue(d); return false; }));
        // The control: the same records into an aggregator of its own (its own store) that writes as usual and lives on.
        var control = await Own(AggregatorNode.StartAsync());
        var controlAgent = await Own(AgentNode.StartAsync(Host, [control.Address]));
        await Eventually.Until(() => Task.FromResult(first.Fleet.Get(Host) is not null && control.Fleet.Get(Host) is not null), Converge, "the aggregators hold the host");
        var chunks = Chunks(path, 12);
        AgentNode[] agents = [agent, controlAgent];

        // The first part reaches the history; the second only the journal.
        await Feed(agents, chunks.Take(5), end: false);
        await Agree(first, agent);
        var history = first.App.Services.GetRequiredService<ActorRegistry>().Get<HistoryWriterActor>();
        var flushed = await history.Ask<HistoryProtocol.Flushed>(new HistoryProtocol.Flush(), TimeSpan.FromSeconds(60));
        Log($"first part applied and written to the history ({flushed.Written} rows)");
        await Feed(agents, chunks.Skip(5), end: true);
        var final = await Agree(first, agent);
        Assert.Equal(Fingerprint(final), Fingerprint(await Agree(control, controlAgent)));
        await Eventually.Until(async () =>
        {
            var state = first.Fleet.Get(Host)!;
            return await JournalEventsAsync() == state.SnapshotsApplied + state.DeltasApplied;
        }, Converge, "every applied snapshot and delta in the journal");
        Log($"second part applied and journaled: {final.Processes.Length} processes live, {sent.Count} deltas sent in all");

        await first.CrashAsync();
        await agent.StopAsync();
        var lastEvent = sent.Max(d => d.EventTime!.Value.ToUnixTimeMilliseconds());
        var written = new HistoryStore(Store.Target, Store.Journal is null ? Dir : null).Coverage(Host)!.LastAt;
        Log($"crashed: the history ends at {written}, the records at {lastEvent}");
        Assert.True(written < lastEvent, "the crashed member left part of the history unwritten");

        // The moments the tree changed after the history's last row (capped, evenly spread), and the checkpoints then.
        var changes = sent.SelectMany(d => d.Processes).Where(c => c.At is { } at && at.ToUnixTimeMilliseconds() > written).ToList();
        var times = Spread(changes.Select(c => c.At!.Value.ToUnixTimeMilliseconds()).Append(written).Append(lastEvent).Distinct().Order().ToList(), 150);
        Assert.True(changes.Count(c => c.Kind == ProcessChangeKind.Exited) > 0, "processes exited after the history's last row");
        var checkpoints = new List<(string Name, long At, HostTree Tree)>();
        foreach (var (name, t) in HistoryCorpusFixture.Markers(File.ReadAllText(path)).Where(m => m.TimeMs > written))
            checkpoints.Add((name, t, await Replay(path, t)));
        Assert.True(checkpoints.Count >= 2 && checkpoints.Select(c => Fingerprint(c.Tree)).Distinct().Count() > 1, "the tree changed between checkpoints after the history's last row");

        // The member starts again on the same store; asked for the host, its entity recovers from the journal.
        var again = await Own(AggregatorNode.StartAsync(new AggregatorSettings { Storage = Store }));
        HostTree? live = null;
        await Eventually.Until(async () => (live = await again.TreeAsync(Host)) is not null, Converge, "the host's entity recovered on the restarted member");
        Assert.Equal(Fingerprint(final), Fingerprint(live!));
        Log("restarted: the host's entity recovered its tree from the journal");

        foreach (var (name, t, tree) in checkpoints)
            await SameTreeAt(again, t, () => Task.FromResult<HostTree?>(tree), $"replay --until {t} (checkpoint {name})");
        Log($"{checkpoints.Count} checkpoints after the history's last row: the tree at each equals replay --until then");
        foreach (var t in times)
            await SameTreeAt(again, t, () => TreeAtAsync(control, t), "the control's");
        Log($"{times.Count} moments in [{written}, {lastEvent}] the tree changed: the same tree at each as the control's");

        // Every exit after the history's last row, with its code or signal as the agent sent it; no life the records lack.
        var window = $"from={Seconds(written + 1)}&to={Seconds(lastEvent)}";
        var lives = await again.GetAsync<List<ProcessLife>>($"/api/processes?host={Host}&{window}");
        var exits = changes.Where(c => c.Kind == ProcessChangeKind.Exited).ToList();
        foreach (var x in exits)
        {
            var life = lives.SingleOrDefault(l => l.Process.Pid == x.Process.Pid && l.Process.StartedAt == x.Process.StartedAt);
            Assert.True(life is not null, $"pid {x.Process.Pid}'s life (exited at {x.At:O}) missing from the window");
            Assert.Equal((x.At, x.ExitCode, x.Signal), (life!.Process.ExitedAt, life.ExitCode, life.Signal));
        }
        Assert.Contains(exits, x => x.Signal is not null);
        Assert.Contains(exits, x => x.ExitCode is not null);
        var known = (await TreeAtAsync(control, written))!.Processes.Where(p => p.ExitedAt is null || p.ExitedAt.Value.ToUnixTimeMilliseconds() > written)
            .Select(Key).Concat(changes.Where(c => c.Kind != ProcessChangeKind.Removed).Select(c => Key(c.Process))).ToHashSet();
        Assert.Equal(known.Order(), lives.Select(l => Key(l.Process)).Order());
        var controlLives = await control.GetAsync<List<ProcessLife>>($"/api/processes?host={Host}&{window}");
        Assert.Equal(controlLives.Select(Life).Order(), lives.Select(Life).Order());
        Log($"{lives.Count} lives in the window, {exits.Count} exits with their codes and signals ({exits.Count(x => x.Signal is not null)} by signal)");
    }

    /// <summary>The tree at <paramref name="ms"/> from <paramref name="node"/> equals the one expected (both given time to be written).</summary>
    private static async Task SameTreeAt(AggregatorNode node, long ms, Func<Task<HostTree?>> expected, string what)
    {
        HostTree? at = null, want = null;
        try
        {
            await Eventually.Until(async () => (at = await TreeAtAsync(node, ms)) is not null && (want = await expected()) is not null && Fingerprint(at) == Fingerprint(want),
                Converge, $"the tree at {ms} equals {what}");
        }
        catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"{e.Message}: {(want is null ? "none to compare" : Godo.Tests.Shared.Corpus.Diff(want, at))}"); }
    }

    private async Task<long> JournalEventsAsync()
    {
        var target = Store.Target;
        await using System.Data.Common.DbConnection c = target.Provider == StorageProvider.Postgres
            ? new NpgsqlConnection(target.ConnectionString) : new SqliteConnection(target.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM journal WHERE persistence_id = '{"host-" + Host}'";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>The log in <paramref name="parts"/> pieces, cut at line boundaries (one continuous stream to the agent).</summary>
    private static List<string> Chunks(string path, int parts)
    {
        var lines = File.ReadAllLines(path);
        return lines.Chunk((lines.Length + parts - 1) / parts).Select(c => string.Join('\n', c) + "\n").ToList();
    }

    /// <summary>A little apart, so the agents send many deltas (one per 100 ms batch), as on a live host.</summary>
    private static async Task Feed(AgentNode[] agents, IEnumerable<string> chunks, bool end)
    {
        var list = chunks.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            await Task.WhenAll(agents.Select(a => a.FeedAsync(list[i], endOfStream: end && i == list.Count - 1)));
            await Task.Delay(250);
        }
    }

    private static async Task<HostTree> Agree(AggregatorNode node, AgentNode agent)
    {
        var expected = await agent.TreeAsync();
        HostTree? last = null;
        try
        {
            await Eventually.Until(async () => (last = await node.TreeAsync(agent.HostName)) is not null && Fingerprint(last) == Fingerprint(expected),
                Converge, "the aggregator serves the agent's tree");
        }
        catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"{e.Message}: {Godo.Tests.Shared.Corpus.Diff(expected, last)}"); }
        return expected;
    }

    private static async Task<HostTree?> TreeAtAsync(AggregatorNode node, long ms)
    {
        using var resp = await node.Http.GetAsync($"/api/hosts/{Host}/tree?at={Seconds(ms)}");
        if (!resp.IsSuccessStatusCode) return null;
        return JsonSerializer.Deserialize(await resp.Content.ReadAsStringAsync(), GodoJsonContext.Default.HostTree);
    }

    private static async Task<HostTree> Replay(string path, long untilMs)
    {
        await using var input = File.OpenRead(path);
        return await ReplayRunner.RunAsync(input, new ReplayOptions { HostName = Host, UntilMs = untilMs }, new PipelineStats());
    }

    /// <summary>At most <paramref name="most"/> of the times, evenly spread, the first and the last always.</summary>
    private static List<long> Spread(List<long> times, int most) =>
        times.Count <= most ? times : Enumerable.Range(0, most).Select(i => times[(int)((long)i * (times.Count - 1) / (most - 1))]).Distinct().ToList();

    private static string Life(ProcessLife l) => $"{JsonSerializer.Serialize(l.Process, GodoJsonContext.Default.ProcessInfo)} {l.ContainerName} {l.ExitCode} {l.Signal}";
    private static string Key(ProcessInfo p) => $"{p.Pid}@{p.StartedAt?.ToUnixTimeMilliseconds()}";
    private static string Fingerprint(HostTree tree) => Godo.Tests.Shared.Corpus.Fingerprint(tree);
    private static string Seconds(long ms) => HistoryCorpusFixture.Seconds(ms);
}
