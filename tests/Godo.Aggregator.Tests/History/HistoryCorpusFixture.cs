using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Godo.Agent.Pipeline;
using Godo.Agent.Replay;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Api;
using Godo.Messages.Model;

namespace Godo.Aggregator.Tests.History;

/// <summary>
/// One `godo aggregator` process with its own SQLite store (--data; <see cref="PostgresHistoryCorpusFixture"/>: a fresh
/// PostgreSQL database, --journal), and one `godo agent --source file:CORPUS --pace
/// event-time` per recorded corpus, all at once: the corpora's history goes through the real wire, ingest and store.
/// Meanwhile `godo replay --until T` (ReplayRunner) computes each corpus's tree at each of its checkpoints.
/// </summary>
public class HistoryCorpusFixture : IAsyncLifetime
{
    public static readonly string[] Corpora = ["threads-exec", "daemons-args", "fleet-churn", "docker-basic", "signal-deaths"];
    public static string CorpusPath(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name, "audit.log");
    public static readonly JsonSerializerOptions Json = ApiJson.Configure(new JsonSerializerOptions());

    private readonly List<GodoProcess> _processes = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "godo-history-" + Guid.NewGuid().ToString("N")[..8]);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public string Url { get; private set; } = "";
    public GodoProcess Aggregator { get; private set; } = null!;
    /// <summary>Per corpus: its checkpoints (name, event time in ms) and the replay's tree at each.</summary>
    public Dictionary<string, List<(string Name, long TimeMs, HostTree Tree)>> Checkpoints { get; } = new();
    public Dictionary<string, HostTree> FullReplay { get; } = new();
    public string Logs => string.Join('\n', _processes.Select(p => $"---- {p.Name}\n{string.Join('\n', p.Log.Split('\n').TakeLast(20))}"))
        + "\n---- metrics\n" + string.Join('\n', (Http.GetStringAsync(Url + "/metrics").GetAwaiter().GetResult()).Split('\n')
            .Where(l => l.StartsWith("godo_snapshots", StringComparison.Ordinal) || l.StartsWith("godo_deltas", StringComparison.Ordinal) || l.StartsWith("godo_ingest", StringComparison.Ordinal)));

    /// <summary>Where the aggregator keeps its journal and history.</summary>
    protected virtual string[] StorageArgs => ["--data", _dataDir];

    public virtual async Task InitializeAsync()
    {
        var remote = GodoProcess.FreePort();
        var httpPort = GodoProcess.FreePort();
        Url = $"http://127.0.0.1:{httpPort}";
        Aggregator = Track(new GodoProcess("aggregator", ["aggregator", "--remote-port", remote.ToString(CultureInfo.InvariantCulture), "--http", Url, .. StorageArgs]));
        try
        {
            await Godo.Tests.Shared.Eventually.Until(async () => (await Http.GetAsync(Url + "/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(180), "the aggregator is ready");
        }
        catch (TimeoutException e) { throw new TimeoutException($"{e.Message}\n---- aggregator\n{Aggregator.Log}", e); }
        // Each agent follows a log that is empty until the aggregator holds its host, as on a live host whose agent
        // runs before anything happens; then the whole corpus is appended and paced by its event times.
        Directory.CreateDirectory(_dataDir);
        foreach (var c in Corpora)
        {
            File.WriteAllText(Followed(c), "");
            Track(new GodoProcess($"agent:{c}", "agent", "--source", $"file:{Followed(c)}", "--follow", "--pace", "event-time", "--host-name", c,
                "--aggregator", $"akka.tcp://godo@127.0.0.1:{remote}"));
        }
        foreach (var c in Corpora)
            await Godo.Tests.Shared.Eventually.Until(async () => (await Http.GetAsync($"{Url}/api/hosts/{c}")).IsSuccessStatusCode,
                TimeSpan.FromSeconds(90), $"the aggregator holds host {c}");
        foreach (var c in Corpora) File.AppendAllText(Followed(c), File.ReadAllText(CorpusPath(c)));
        // The expected trees, while the agents replay their logs in real time.
        foreach (var c in Corpora)
        {
            FullReplay[c] = await Replay(c, null);
            var list = new List<(string, long, HostTree)>();
            foreach (var (name, t) in Markers(File.ReadAllText(CorpusPath(c)))) list.Add((name, t, await Replay(c, t)));
            Checkpoints[c] = list;
        }
        // Every agent has sent its whole log once the live tree is the replay's whole tree.
        foreach (var c in Corpora)
            await Godo.Tests.Shared.Eventually.Until(async () =>
            {
                var resp = await Http.GetAsync($"{Url}/api/hosts/{c}/tree");
                if (!resp.IsSuccessStatusCode) return false;
                var live = JsonSerializer.Deserialize(await resp.Content.ReadAsStringAsync(), GodoJsonContext.Default.HostTree)!;
                return Godo.Tests.Shared.Corpus.Fingerprint(live) == Godo.Tests.Shared.Corpus.Fingerprint(FullReplay[c]);
            }, TimeSpan.FromSeconds(240), $"the aggregator holds {c}'s whole replayed tree");
    }

    private string Followed(string corpus) => Path.Combine(_dataDir, corpus + ".log");

    private static async Task<HostTree> Replay(string corpus, long? untilMs)
    {
        await using var input = File.OpenRead(CorpusPath(corpus));
        return await ReplayRunner.RunAsync(input, new ReplayOptions { HostName = corpus, UntilMs = untilMs }, new PipelineStats());
    }

    /// <summary>The checkpoint markers of a log: `/bin/true godo-checkpoint-NAME`'s EXECVE record, at its event time.</summary>
    public static IEnumerable<(string Name, long TimeMs)> Markers(string log) =>
        Regex.Matches(log, @"type=EXECVE msg=audit\((\d+)\.(\d{3}):\d+\): argc=2 a0=""[^""]*"" a1=""godo-checkpoint-([^""]+)""")
            .Select(m => (m.Groups[3].Value, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 1000 + long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));

    public static string Seconds(long ms) => (ms / 1000).ToString(CultureInfo.InvariantCulture) + "." + (ms % 1000).ToString("000", CultureInfo.InvariantCulture);

    public async Task<T?> Get<T>(string path) => await Http.GetFromJsonAsync<T>(Url + path, Json);

    private GodoProcess Track(GodoProcess p) { _processes.Add(p); return p; }

    public virtual async Task DisposeAsync()
    {
        await Task.WhenAll(_processes.Select(p => p.DisposeAsync().AsTask()));
        Http.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The same, with the journal and the history in a fresh PostgreSQL database (dropped afterwards).</summary>
public sealed class PostgresHistoryCorpusFixture : HistoryCorpusFixture
{
    private readonly PostgresDatabase _database = new();

    protected override string[] StorageArgs => [.. base.StorageArgs, "--journal", _database.Url];

    public override async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _database.DisposeAsync();
    }
}
