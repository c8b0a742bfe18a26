using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.Feed;

/// <summary>
/// The exec/exit feed through the real path: `godo agent --source file:LOG` into a `godo aggregator` process, read
/// over real HTTP as Server-Sent Events.
/// </summary>
public sealed class FeedEndToEndTests(ITestOutputHelper output)
{
    private static string CorpusPath(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name, "audit.log");
    private static readonly JsonSerializerOptions Json = ApiJson.Configure(new JsonSerializerOptions());

    [Theory]
    [InlineData("docker-basic")]
    [InlineData("fleet-churn")]
    public async Task The_feed_carries_every_successful_execve_of_a_replayed_log_in_event_time_order(string corpus)
    {
        var expected = SuccessfulExecs(CorpusPath(corpus));
        Assert.True(expected > 100, $"{corpus}: {expected} execs");
        await using var agg = Aggregator(out var url, out var remote);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Ready(http, url, agg);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var events = new List<FleetEvent>();
        var reading = ReadEvents(url + $"/api/events?host={corpus}", events, cts.Token);
        await Eventually.Until(() => Task.FromResult(events.Count > 0 || reading.IsCompleted), TimeSpan.FromSeconds(30), "the stream opened");

        await using var agent = new GodoProcess($"agent:{corpus}", "agent", "--source", $"file:{CorpusPath(corpus)}", "--host-name", corpus,
            "--aggregator", $"akka.tcp://godo@127.0.0.1:{remote}");
        int Count(string kind) { lock (events) return events.Count(e => e.Kind == kind); }
        try
        {
            await Eventually.Until(() => Task.FromResult(Count(FleetEventKinds.Exec) >= expected), TimeSpan.FromMinutes(3),
                $"{expected} exec events from {corpus}");
            // the whole feed is out once the aggregator counted as many as came, and no more come
            await Eventually.Until(async () =>
            {
                var stats = (await http.GetFromJsonAsync<HostTree>($"{url}/api/hosts/{corpus}/tree", Json))!.Stats;
                await Task.Delay(1000);
                var again = (await http.GetFromJsonAsync<HostTree>($"{url}/api/hosts/{corpus}/tree", Json))!.Stats;
                lock (events) return stats["feedEvents"] == again["feedEvents"] && events.Count(e => e.Seq is not null) == again["feedEvents"];
            }, TimeSpan.FromMinutes(1), "the feed settled");
        }
        catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"{e.Message}: {Count(FleetEventKinds.Exec)} execs so far\n{agent.Log}\n{agg.Log}"); }
        await cts.CancelAsync();

        List<FleetEvent> feed;
        lock (events) feed = events.Where(e => e.Seq is not null).ToList();
        Assert.DoesNotContain(events, e => e.Kind is FleetEventKinds.Dropped or FleetEventKinds.Overflow);
        Assert.Equal(expected, feed.Count(e => e.Kind == FleetEventKinds.Exec));
        Assert.True(feed.Count(e => e.Kind == FleetEventKinds.Exit) > expected / 2, $"{feed.Count(e => e.Kind == FleetEventKinds.Exit)} exits");
        // numbered without holes, in the kernel's event time
        Assert.Equal(Enumerable.Range(1, feed.Count).Select(i => (long)i), feed.Select(e => e.Seq!.Value));
        for (var i = 1; i < feed.Count; i++)
            Assert.True(feed[i].At >= feed[i - 1].At, $"event {feed[i].Seq} at {feed[i].At:O} comes after {feed[i - 1].At:O}");
        output.WriteLine($"{corpus}: {expected} execs in the log; the feed carried {feed.Count(e => e.Kind == FleetEventKinds.Exec)} execs and {feed.Count(e => e.Kind == FleetEventKinds.Exit)} exits, in event-time order");
    }

    [Fact]
    public async Task One_stuck_client_is_cut_off_with_an_overflow_event_while_100_MB_of_argv_flows_and_memory_stays_bounded()
    {
        const int execs = 12_800, argvChars = 4096; // each exec and each exit carries its argv: 100 MiB of argv in the feed
        using var dir = new TempDir();
        var log = Path.Combine(dir.Path, "audit.log");
        await using var agg = Aggregator(out var url, out var remote);
        WriteStressLog(log, execs, argvChars, perSecond: 400); // while the aggregator starts
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Ready(http, url, agg);

        // the stuck client: opens the stream and reads nothing
        using var stuckHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var response = await stuckHttp.GetAsync(url + "/api/events", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var baseline = Rss(agg.Id);

        await using var agent = new GodoProcess("agent:stress", "agent", "--source", $"file:{log}", "--pace", "event-time", "--host-name", "stress",
            "--aggregator", $"akka.tcp://godo@127.0.0.1:{remote}");
        long peak = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            await Eventually.Until(async () =>
            {
                peak = Math.Max(peak, Rss(agg.Id));
                return (await http.GetStringAsync(url + "/metrics")).Contains("godo_feed_overflows_total 1");
            }, TimeSpan.FromMinutes(3), "the stuck client cut off");
            output.WriteLine($"cut off after {clock.Elapsed.TotalSeconds:0.0}s");

            // it reads now: what the server and the sockets still held, then the overflow event, then the end
            var stream = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(stream);
            string? lastEvent = null, lastData = null;
            var lines = 0;
            using var readCts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (await reader.ReadLineAsync(readCts.Token) is { } line)
            {
                lines++;
                if (line.StartsWith("event: ", StringComparison.Ordinal)) lastEvent = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) lastData = line[6..];
            }
            Assert.Equal(FleetEventKinds.Overflow, lastEvent);
            var overflow = JsonSerializer.Deserialize<FleetEvent>(lastData!, Json)!;
            Assert.True(overflow.Dropped > 0, lastData);
            output.WriteLine($"the stuck client read {lines} lines, then: {lastData}");

            // the flow goes on to its end, and memory stays bounded the whole time
            await Eventually.Until(async () =>
            {
                peak = Math.Max(peak, Rss(agg.Id));
                var stats = (await http.GetFromJsonAsync<HostTree>($"{url}/api/hosts/stress/tree", Json))!.Stats;
                return stats["feedEvents"] + stats["feedDropped"] >= 2L * execs;
            }, TimeSpan.FromMinutes(3), $"{2 * execs} feed events at the aggregator");
            peak = Math.Max(peak, Rss(agg.Id));
        }
        catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"{e.Message}\n{agent.Log}\n{agg.Log}"); }
        var final = (await http.GetFromJsonAsync<HostTree>($"{url}/api/hosts/stress/tree", Json))!.Stats;
        var metrics = (await http.GetStringAsync(url + "/metrics")).Split('\n');
        var heap = metrics.FirstOrDefault(l => l.StartsWith("godo_managed_heap_bytes ", StringComparison.Ordinal));
        var queuePeak = double.Parse(metrics.Single(l => l.StartsWith("godo_feed_client_queue_peak_bytes ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        output.WriteLine($"aggregator RSS: {baseline >> 20} MiB before, peak {peak >> 20} MiB ({heap}); the client's queue peaked at {queuePeak / 1024:0} KiB; feed {final["feedEvents"]} events, {final["feedDropped"]} dropped, in {clock.Elapsed.TotalSeconds:0.0}s");
        // most of it flows (an agent far behind on a loaded machine drops, and says so: feedDropped)
        Assert.True(final["feedEvents"] >= execs / 2, $"{final["feedEvents"]} feed events reached the aggregator");
        // the client's queue never held more than its bound (4 MiB), and the process stayed far from holding the flow
        Assert.InRange(queuePeak, 1, 4L << 20);
        Assert.True(peak < MaxRss, $"aggregator RSS peaked at {peak >> 20} MiB (bound {MaxRss >> 20} MiB, {baseline >> 20} MiB before)");
    }

    /// <summary>
    /// The stated bound. Measured on the loaded 2-core test machine: about 110 MiB at rest, a peak of 300-375 MiB with
    /// this flow (the deltas carry every process's argv too), with the stuck client or without; 100 MiB of argv held for
    /// that client (200 MiB as UTF-16) would go far above.
    /// </summary>
    private const long MaxRss = 500L << 20;

    // ---- helpers --------------------------------------------------------------------------------

    private static GodoProcess Aggregator(out string url, out int remote)
    {
        remote = GodoProcess.FreePort();
        var httpPort = GodoProcess.FreePort();
        url = $"http://127.0.0.1:{httpPort}";
        return new GodoProcess($"aggregator:{remote}", "aggregator", "--remote-port", remote.ToString(CultureInfo.InvariantCulture), "--http", url);
    }

    private static async Task Ready(HttpClient http, string url, GodoProcess agg)
    {
        try
        {
            await Eventually.Until(async () => (await http.GetAsync(url + "/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromMinutes(3), $"{url} ready");
        }
        catch (TimeoutException e) { throw new Xunit.Sdk.XunitException($"{e.Message}\n{agg.Log}"); }
    }

    /// <summary>Follows the event stream into <paramref name="events"/> until cancelled.</summary>
    private static async Task ReadEvents(string url, List<FleetEvent> events, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var stream = await http.GetStreamAsync(url, ct);
            using var reader = new StreamReader(stream);
            lock (events) events.Add(new FleetEvent { Kind = "open", Host = "", At = default });
            while (await reader.ReadLineAsync(ct) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    var e = JsonSerializer.Deserialize<FleetEvent>(line.AsSpan(6), Json)!;
                    lock (events) events.Add(e);
                }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>What the log has of successful execve and execveat, 64- and 32-bit.</summary>
    private static int SuccessfulExecs(string path) =>
        File.ReadLines(path).Count(l => l.StartsWith("type=SYSCALL ", StringComparison.Ordinal) && l.Contains(" success=yes ", StringComparison.Ordinal)
            && (l.Contains("arch=c000003e", StringComparison.Ordinal) ? l.Contains(" syscall=59 ", StringComparison.Ordinal) || l.Contains(" syscall=322 ", StringComparison.Ordinal)
                : l.Contains(" syscall=11 ", StringComparison.Ordinal) || l.Contains(" syscall=358 ", StringComparison.Ordinal)));

    /// <summary>A raw audit log: a shell that runs <paramref name="execs"/> children, each exec'd with argv of <paramref name="argvChars"/> and exiting at once.</summary>
    private static void WriteStressLog(string path, int execs, int argvChars, int perSecond)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
        long serial = 1000, t0 = 1_795_921_864_000;
        const string Ids = "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295";
        void Exec(long ms, int pid, int ppid, string comm, string exe, params string[] argv)
        {
            var stamp = $"msg=audit({ms / 1000}.{ms % 1000:000}:{++serial})";
            w.WriteLine($"type=SYSCALL {stamp}: arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=1 ppid={ppid} pid={pid} {Ids} comm=\"{comm}\" exe=\"{exe}\" key=\"godo\"");
            w.WriteLine($"type=EXECVE {stamp}: argc={argv.Length} " + string.Join(' ', argv.Select((a, i) => $"a{i}=\"{a}\"")));
            w.WriteLine($"type=CWD {stamp}: cwd=\"/\"");
        }
        Exec(t0, 5000, 1, "sh", "/bin/sh", "sh", "stress.sh");
        var arg = new string('x', argvChars);
        for (var i = 0; i < execs; i++)
        {
            var ms = t0 + 1 + i * 1000L / perSecond;
            var pid = 10_000 + i;
            Exec(ms, pid, 5000, "stress", "/usr/bin/stress", "stress", arg);
            w.WriteLine($"type=SYSCALL msg=audit({ms / 1000}.{ms % 1000:000}:{++serial}): arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=0 items=0 ppid=5000 pid={pid} {Ids} comm=\"stress\" exe=\"/usr/bin/stress\" key=\"godo\"");
        }
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("godo-feed-").FullName;
        public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
    }
}
