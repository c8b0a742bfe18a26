using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Tests.Shared;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.History;

/// <summary>The history on the aggregator's default store, a SQLite file under --data.</summary>
public sealed class HistoryCorpusTests(HistoryCorpusFixture fx, ITestOutputHelper output) : HistoryCorpusChecks(fx, output), IClassFixture<HistoryCorpusFixture>;

/// <summary>The history in a cluster's shared store, PostgreSQL (--journal).</summary>
public sealed class PostgresHistoryCorpusTests(PostgresHistoryCorpusFixture fx, ITestOutputHelper output) : HistoryCorpusChecks(fx, output), IClassFixture<PostgresHistoryCorpusFixture>;

/// <summary>
/// Issue 11's queries over time, through the API of a real aggregator fed by real agents replaying the recorded corpora:
/// the tree at every checkpoint equals `godo replay --until` at that moment; the window and lineage queries agree with
/// the log itself.
/// </summary>
public abstract class HistoryCorpusChecks(HistoryCorpusFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task The_tree_at_every_checkpoint_of_every_corpus_equals_replay_until_then()
    {
        var compared = 0;
        foreach (var corpus in HistoryCorpusFixture.Corpora)
        {
            Assert.NotEmpty(fx.Checkpoints[corpus]);
            foreach (var (name, t, expected) in fx.Checkpoints[corpus])
            {
                HostTree? last = null;
                var path = $"/api/hosts/{corpus}/tree?at={HistoryCorpusFixture.Seconds(t)}";
                try
                {
                    // The writer batches its rows: give it time on a loaded machine.
                    await Eventually.Until(async () =>
                    {
                        var resp = await fx.Http.GetAsync(fx.Url + path);
                        if (!resp.IsSuccessStatusCode) return false;
                        last = JsonSerializer.Deserialize(await resp.Content.ReadAsStringAsync(), GodoJsonContext.Default.HostTree);
                        return Corpus.Fingerprint(last!) == Corpus.Fingerprint(expected);
                    }, TimeSpan.FromSeconds(20), $"{path} equals replay --until {t} ({corpus} checkpoint {name})");
                }
                catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"{e.Message}: {Corpus.Diff(expected, last)}\n{fx.Logs}"); }
                output.WriteLine($"{corpus} {name} at {t}: {expected.Processes.Length} processes, {expected.Containers.Length} containers: equal");
                compared++;
            }
        }
        output.WriteLine($"{compared} checkpoints compared");
    }

    [Fact]
    public async Task A_tree_before_the_first_record_or_of_an_unknown_host_is_404_and_a_bad_time_400()
    {
        var first = HistoryCorpusFixture.Markers(File.ReadAllText(HistoryCorpusFixture.CorpusPath("fleet-churn"))).First().TimeMs;
        var before = await fx.Http.GetAsync($"{fx.Url}/api/hosts/fleet-churn/tree?at={HistoryCorpusFixture.Seconds(first - 3_600_000)}");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Contains("no history of fleet-churn", await before.Content.ReadAsStringAsync());
        var unknown = await fx.Http.GetAsync($"{fx.Url}/api/hosts/nowhere/tree?at=2026-11-29T03:12:00Z");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown host", await unknown.Content.ReadAsStringAsync());
        var bad = await fx.Http.GetAsync($"{fx.Url}/api/hosts/fleet-churn/tree?at=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // RFC 3339 and unix seconds name the same moment.
        var rfc = DateTimeOffset.FromUnixTimeMilliseconds(first).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var a = await fx.Http.GetStringAsync($"{fx.Url}/api/hosts/fleet-churn/tree?at={rfc}");
        var b = await fx.Http.GetStringAsync($"{fx.Url}/api/hosts/fleet-churn/tree?at={HistoryCorpusFixture.Seconds(first)}");
        Assert.Equal(a, b);
    }

    private sealed record Exec(int Pid, long At);
    private sealed record ExitGroup(int Pid, long At, int Code);

    [Fact]
    public async Task Every_process_execd_in_a_window_is_listed_with_the_exit_the_log_shows()
    {
        const string corpus = "fleet-churn";
        var log = File.ReadAllText(HistoryCorpusFixture.CorpusPath(corpus));
        var markers = HistoryCorpusFixture.Markers(log).ToList();
        // The window: from the first checkpoint to the third, the containers' start and the kills.
        var (from, to) = (markers[0].TimeMs, markers[2].TimeMs);
        static long Ms(Match m) => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 1000 + long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var execs = Regex.Matches(log, @"type=SYSCALL msg=audit\((\d+)\.(\d{3}):\d+\): arch=c000003e syscall=59 success=yes .*? pid=(\d+) ")
            .Select(m => new Exec(int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), Ms(m))).Where(e => e.At >= from && e.At <= to).ToList();
        var exits = Regex.Matches(log, @"type=SYSCALL msg=audit\((\d+)\.(\d{3}):\d+\): arch=c000003e syscall=231 a0=([0-9a-f]+) .*? pid=(\d+) ")
            .Select(m => new ExitGroup(int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), Ms(m), Convert.ToInt32(m.Groups[3].Value, 16) & 0xff)).ToList();
        Assert.NotEmpty(execs);

        List<ProcessLife> lives = [];
        await Eventually.Until(async () =>
        {
            lives = (await fx.Get<List<ProcessLife>>($"/api/processes?host={corpus}&from={HistoryCorpusFixture.Seconds(from)}&to={HistoryCorpusFixture.Seconds(to)}"))!;
            return execs.All(e => Life(lives, e) is not null);
        }, TimeSpan.FromSeconds(20), "every exec of the window listed");
        Assert.Equal(lives.OrderByDescending(l => l.Process.StartedAt).Select(l => l.Process.StartedAt), lives.Select(l => l.Process.StartedAt));
        var withExit = 0;
        foreach (var e in execs)
        {
            var life = Life(lives, e)!;
            // The exit the log shows for that process (its first exit_group after the exec), to the millisecond, with its code.
            if (exits.FirstOrDefault(x => x.Pid == e.Pid && x.At >= e.At) is { } exit && (life.Process.ExitedAt is null || exit.At <= life.Process.ExitedAt.Value.ToUnixTimeMilliseconds()))
            {
                Assert.True(life.Process.ExitedAt is not null, $"pid {e.Pid} exec'd at {e.At}: exit_group at {exit.At} not shown");
                Assert.Equal(exit.At, life.Process.ExitedAt!.Value.ToUnixTimeMilliseconds());
                Assert.Equal(exit.Code, life.ExitCode);
                withExit++;
            }
        }
        Assert.True(withExit > 0, "the window has processes that exited");
        output.WriteLine($"{execs.Count} execs in the window, {lives.Count} lives listed, {withExit} exits checked against the log");
        // Every life listed did live in the window.
        Assert.All(lives, l => Assert.True(l.Process.StartedAt!.Value.ToUnixTimeMilliseconds() <= to
                                           && (l.Process.ExitedAt is null || l.Process.ExitedAt.Value.ToUnixTimeMilliseconds() >= from), $"{l.Process.Pid} outside the window"));
    }

    /// <summary>The life of the process that made the exec: same pid, started by then, not exited before it.</summary>
    private static ProcessLife? Life(List<ProcessLife> lives, Exec e) => lives.FirstOrDefault(l =>
        l.Process.Pid == e.Pid && l.Process.StartedAt!.Value.ToUnixTimeMilliseconds() <= e.At
        && (l.Process.ExitedAt is null || l.Process.ExitedAt.Value.ToUnixTimeMilliseconds() >= e.At));

    [Fact]
    public async Task The_lineage_at_a_checkpoint_is_the_replayed_chain_of_parents()
    {
        var checked_ = 0;
        foreach (var corpus in new[] { "fleet-churn", "docker-basic" })
            foreach (var (_, t, tree) in fx.Checkpoints[corpus].Where(c => c.Tree.Processes.Any(p => p.Container is not null)).Take(2))
            {
                var byPid = tree.Processes.ToDictionary(p => p.Pid);
                foreach (var p in tree.Processes.Where(p => p.Container is not null).Take(3))
                {
                    var expected = new List<int>();
                    for (var pp = p.Ppid; byPid.TryGetValue(pp, out var parent) && !expected.Contains(pp); pp = parent.Ppid) expected.Add(pp);
                    ProcessLineage? lineage = null;
                    await Eventually.Until(async () =>
                    {
                        lineage = await fx.Get<ProcessLineage>($"/api/hosts/{corpus}/processes/{p.Pid}?at={HistoryCorpusFixture.Seconds(t)}");
                        return lineage is not null;
                    }, TimeSpan.FromSeconds(20), $"lineage of {p.Pid} on {corpus}");
                    Assert.Equal(p.Pid, lineage!.Process.Pid);
                    Assert.Equal(p.Argv.ToArray(), lineage.Process.Argv.ToArray());
                    Assert.Equal(expected, lineage.Ancestors.Select(a => a.Pid));
                    checked_++;
                }
            }
        Assert.True(checked_ > 0);
        var none = await fx.Http.GetAsync($"{fx.Url}/api/hosts/fleet-churn/processes/999999?at={HistoryCorpusFixture.Seconds(fx.Checkpoints["fleet-churn"][0].TimeMs)}");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task A_containers_life_has_its_start_and_its_end()
    {
        // docker-basic's container "web" ran, and was stopped and removed before the log ends.
        var last = fx.Checkpoints["docker-basic"][^1].Tree;
        var everSeen = fx.Checkpoints["docker-basic"].SelectMany(c => c.Tree.Containers).Select(c => c.Id).Distinct().ToList();
        Assert.NotEmpty(everSeen);
        foreach (var id in everSeen)
        {
            var lives = (await fx.Get<List<ContainerLife>>($"/api/containers/{id[..12]}/life?host=docker-basic"))!;
            var life = Assert.Single(lives);
            Assert.Equal(id, life.Id);
            Assert.NotNull(life.CreatedAt);
            var seenAt = fx.Checkpoints["docker-basic"].Where(c => c.Tree.Containers.Any(x => x.Id == id)).Select(c => c.TimeMs).ToList();
            Assert.True(life.CreatedAt!.Value.ToUnixTimeMilliseconds() <= seenAt.Min(), $"{id[..12]} created after a checkpoint that shows it");
            if (!FullTreeHas(id) && life.DestroyedAt is { } gone)
                Assert.True(gone.ToUnixTimeMilliseconds() > seenAt.Max(), $"{id[..12]} destroyed before a checkpoint that shows it");
            else if (FullTreeHas(id)) Assert.Null(life.DestroyedAt);
        }
        Assert.Contains(everSeen, id => !FullTreeHas(id)); // the corpus removes containers
        bool FullTreeHas(string id) => fx.FullReplay["docker-basic"].Containers.Any(c => c.Id == id);
        _ = last;
        var unknown = await fx.Http.GetAsync($"{fx.Url}/api/containers/nosuchcontainer/life");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
