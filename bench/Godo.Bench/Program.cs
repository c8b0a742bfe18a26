// godo cluster benchmark: simulated agents (H hosts x P processes, R process changes/s in 100 ms delta batches) feed
// one aggregator through a real ClusterClient; then memory per process, API latency under load, and how long a
// second aggregator takes to converge. Loopback only; every loop is bounded in count and time.
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Godo.Agent.Publishing;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var opt = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--")).ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
string O(string k, string d) => opt.TryGetValue(k, out var v) ? v : d;
var godoDll = O("godo", "");
int hosts = int.Parse(O("hosts", "200")), procs = int.Parse(O("procs", "500")), rate = int.Parse(O("rate", "20000"));
int portA = int.Parse(O("port-a", "47301")), portB = int.Parse(O("port-b", "47302")), httpA = int.Parse(O("http-a", "47311")), httpB = int.Parse(O("http-b", "47312"));
var loadSeconds = int.Parse(O("seconds", "20"));
var urlA = $"http://127.0.0.1:{httpA}"; var urlB = $"http://127.0.0.1:{httpB}";
var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
var started = new List<Process>();
var clock = Stopwatch.StartNew();

Process StartAggregator(int port, int httpPort, string? seed)
{
    var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var a in new[] { godoDll, "aggregator", "--remote-port", port.ToString(), "--http", $"http://127.0.0.1:{httpPort}" }) psi.ArgumentList.Add(a);
    if (seed is not null) { psi.ArgumentList.Add("--seed"); psi.ArgumentList.Add(seed); }
    // A journal of its own (a fresh SQLite file), or the shared PostgreSQL given with --journal; never /var/lib/godo.
    var data = Directory.CreateTempSubdirectory("godo-bench-").FullName;
    psi.ArgumentList.Add("--data"); psi.ArgumentList.Add(data);
    if (O("journal", "") is { Length: > 0 } journal) { psi.ArgumentList.Add("--journal"); psi.ArgumentList.Add(journal); }
    var p = Process.Start(psi)!;
    // --member-logs DIR: each member's output, every line stamped with the bench's clock (s), to break a failover down
    // (unreachable, downed, removed, shards started) against the kill's moment, which the failover row also gives.
    var log = O("member-logs", "") is { Length: > 0 } dir
        ? TextWriter.Synchronized(new StreamWriter(Path.Combine(Directory.CreateDirectory(dir).FullName, $"member-{port}-{started.Count}.log")) { AutoFlush = true })
        : null;
    void Keep(string line) => log?.WriteLine($"{clock.Elapsed.TotalSeconds:0.000} {line}");
    p.ErrorDataReceived += (_, e) =>
    {
        if (e.Data is null) return;
        Keep(e.Data);
        if (!e.Data.Contains("WARNING")) Console.Error.WriteLine($"  [aggregator :{port}] {e.Data}");
    };
    p.OutputDataReceived += (_, e) => { if (e.Data is not null) Keep(e.Data); };
    p.BeginErrorReadLine(); p.BeginOutputReadLine();
    started.Add(p);
    return p;
}
async Task<JsonElement> Json(string url) => JsonDocument.Parse(await http.GetStringAsync(url)).RootElement.Clone();
async Task Until(Func<Task<bool>> cond, TimeSpan timeout, string what)
{
    var end = DateTime.UtcNow + timeout;
    while (DateTime.UtcNow < end) { try { if (await cond()) return; } catch (Exception) { } await Task.Delay(100); }
    throw new TimeoutException(what);
}
long Rss(Process p) { p.Refresh(); return p.WorkingSet64; }

// Issue 11: the same fleet into N aggregators (sharded hosts, shared --journal). Prints tab-separated rows for
// bench/fleet-memory.sh's table: per member, "member" rows (hosts and processes held, managed heap after a full GC and
// RSS, each also with the same member's empty baseline); then, with 2 or more members, a "failover" row: kill -9 of
// the member holding most hosts, the time until every one of its hosts answers its tree from a survivor (polled
// through the API), and the tree queries that failed over the following 10 s.
async Task FleetMemory(int members)
{
    const string quiet = "akka { loglevel = ERROR, stdout-loglevel = ERROR, log-dead-letters = 0, log-dead-letters-during-shutdown = off }";
    var ports = Enumerable.Range(0, members).Select(i => (Remote: portA + 2 * i, Http: httpA + 2 * i)).ToList();
    var procsOf = new List<Process>();
    foreach (var (remote, httpPort) in ports)
        procsOf.Add(StartAggregator(remote, httpPort, remote == ports[0].Remote ? null : $"akka.tcp://godo@127.0.0.1:{ports[0].Remote}"));
    foreach (var (_, httpPort) in ports)
        await Until(async () => (await Json($"http://127.0.0.1:{httpPort}/api/cluster")).GetProperty("members").EnumerateArray()
            .Count(m => m.GetProperty("status").GetString() == "up") == members, TimeSpan.FromSeconds(120), $"{members} members up");
    // The empty member: runtime, Akka, cluster, web host; what the trees add comes on top.
    var baseline = new List<(long Managed, long Rss)>();
    for (var i = 0; i < members; i++)
        baseline.Add(((await Json($"http://127.0.0.1:{ports[i].Http}/ops/memory?gc=true")).GetProperty("managedBytes").GetInt64(), Rss(procsOf[i])));
    using var fleetHost = new HostBuilder().ConfigureLogging(l => l.ClearProviders())
        .ConfigureServices(s => s.AddAkka("godo-bench", b => b
            .AddHocon(quiet, HoconAddMode.Prepend) // a killed member's address fills the log with connection refusals
            .AddAggregatorClient(new PublisherSettings { HostName = "bench", Aggregators = ports.Select(p => $"akka.tcp://godo@127.0.0.1:{p.Remote}").ToList() })))
        .Build();
    await fleetHost.StartAsync();
    var system = fleetHost.Services.GetRequiredService<ActorSystem>();
    var client = fleetHost.Services.GetRequiredService<ActorRegistry>().Get<AggregatorClientKey>();
    await Task.Delay(2000);
    var loadClock = Stopwatch.StartNew();
    for (var i = 0; i < hosts; i++) system.ActorOf(Props.Create(() => new SimHost($"sim-{i:000}", procs, (double)rate / hosts, client)), $"sim-{i}");
    var url0 = $"http://127.0.0.1:{ports[0].Http}";
    await Until(async () =>
    {
        var hs = await Json(url0 + "/api/hosts");
        return hs.GetArrayLength() == hosts && hs.EnumerateArray().All(h => h.GetProperty("processCount").GetInt32() >= procs * 0.95);
    }, TimeSpan.FromSeconds(300), "all hosts in the cluster");
    Console.Error.WriteLine($"  {members} member(s): all {hosts} hosts in after {loadClock.Elapsed.TotalSeconds:0}s");
    // Shards that started before every member's region registered move by rebalancing: measure once the spread holds still.
    async Task<List<int>> Held()
    {
        var held = new List<int>();
        foreach (var (_, httpPort) in ports) held.Add((await Json($"http://127.0.0.1:{httpPort}/ops/memory")).GetProperty("hosts").GetInt32());
        return held;
    }
    var spread = await Held();
    var still = Stopwatch.StartNew();
    var settle = Stopwatch.StartNew();
    while (still.Elapsed < TimeSpan.FromSeconds(25) && settle.Elapsed < TimeSpan.FromSeconds(180))
    {
        await Task.Delay(1000);
        var now = await Held();
        if (!now.SequenceEqual(spread) || now.Sum() != hosts) { spread = now; still.Restart(); }
    }
    Console.Error.WriteLine($"  {members} member(s): hosts held {string.Join("/", spread)}; load for {loadSeconds}s more");
    await Task.Delay(TimeSpan.FromSeconds(loadSeconds));
    var held = new List<int>();
    for (var i = 0; i < members; i++)
    {
        var mem = await Json($"http://127.0.0.1:{ports[i].Http}/ops/memory?gc=true");
        var (managed, rss) = (mem.GetProperty("managedBytes").GetInt64(), Rss(procsOf[i]));
        held.Add(mem.GetProperty("hosts").GetInt32());
        Console.WriteLine(string.Join('\t', "member", members, i, held[i], mem.GetProperty("processes").GetInt64(),
            Mb(managed), Mb(rss), Mb(baseline[i].Managed), Mb(baseline[i].Rss), Mb(managed - baseline[i].Managed), Mb(rss - baseline[i].Rss)));
    }
    if (members < 2) return;
    // With 2 members, killing the one with the lowest address takes the other down too: keep-majority breaks a tie by
    // keeping that side (as designed: a lone member cannot tell a crash from a partition). So with 2 the other one dies.
    // With 3 and --kills K > 1: kill the oldest (the shard coordinator's home, so it moves too) and a younger one in
    // turn, each time starting the killed member again (same ports, a new incarnation) and waiting for the spread to
    // settle before the next kill.
    var kills = int.Parse(O("kills", "1"));
    var age = Enumerable.Range(0, members).ToList(); // oldest first
    for (var kill = 1; kill <= kills; kill++)
    {
        var victim = members == 2 ? 1 : kills == 1 ? held.IndexOf(held.Max()) : kill % 2 == 1 ? age[0] : age.Skip(1).MaxBy(i => held[i]);
        var oldest = victim == age[0];
        var survivor = $"http://127.0.0.1:{ports[(victim + 1) % members].Http}";
        var moved = (await Json(survivor + "/api/hosts")).EnumerateArray()
            .Where(h => h.TryGetProperty("heldBy", out var by) && by.GetString() == $"akka.tcp://godo@127.0.0.1:{ports[victim].Remote}")
            .Select(h => h.GetProperty("host").GetString()!).ToList();
        var quick = new HttpClient { Timeout = TimeSpan.FromSeconds(6) };
        async Task<bool> Answers(string host)
        {
            try { using var r = await quick.GetAsync($"{survivor}/api/hosts/{host}/tree"); return r.IsSuccessStatusCode; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }
        Console.Error.WriteLine($"  kill -9 of member {victim} at {clock.Elapsed.TotalSeconds:0.000} s (the member logs' clock)");
        var killClock = Stopwatch.StartNew();
        procsOf[victim].Kill();
        // Every host of the killed member asked on its own, again 200 ms after each failure, until it answers: the
        // failover is the moment its last host answered. (Rounds of all hosts at once measured the slowest query of
        // each round instead: a host that failed early waited for it before it was asked again.)
        async Task<double?> AnsweredAfter(string host)
        {
            while (killClock.Elapsed < TimeSpan.FromSeconds(180))
            {
                if (await Answers(host)) return killClock.Elapsed.TotalSeconds;
                await Task.Delay(200);
            }
            return null;
        }
        var answeredAt = await Task.WhenAll(moved.Select(AnsweredAfter));
        var times = answeredAt.OfType<double>().Order().ToList();
        var waiting = moved.Count - times.Count;
        var failover = waiting == 0 ? times[^1] : killClock.Elapsed.TotalSeconds;
        if (times.Count > 0)
            Console.Error.WriteLine($"  its hosts answered again after: first {times[0]:0.0} s, median {times[times.Count / 2]:0.0} s, last {times[^1]:0.0} s");
        // Then every host, for 10 s: no query should fail past the failover.
        var (queries, failed) = (0, 0);
        var after = Stopwatch.StartNew();
        var all = Enumerable.Range(0, hosts).Select(i => $"sim-{i:000}").ToList();
        while (after.Elapsed < TimeSpan.FromSeconds(10))
        {
            var answers = await Task.WhenAll(all.Select(Answers));
            queries += answers.Length;
            failed += answers.Count(ok => !ok);
        }
        Console.WriteLine(string.Join('\t', "failover", members, victim, moved.Count, waiting == 0 ? $"{failover:0.0}" : $">{failover:0}", queries, failed,
            oldest ? "coordinator moved" : "coordinator stayed", kill));
        if (kill == kills) break;
        procsOf[victim].WaitForExit(10_000);
        var seed = ports[age.First(i => i != victim)].Remote;
        procsOf[victim] = StartAggregator(ports[victim].Remote, ports[victim].Http, $"akka.tcp://godo@127.0.0.1:{seed}");
        age.Remove(victim);
        age.Add(victim);
        await Until(async () => (await Json($"http://127.0.0.1:{ports[victim].Http}/api/cluster")).GetProperty("members").EnumerateArray()
            .Count(m => m.GetProperty("status").GetString() == "up") == members, TimeSpan.FromSeconds(120), "the killed member back up");
        spread = await Held();
        still.Restart();
        settle.Restart();
        while (still.Elapsed < TimeSpan.FromSeconds(15) && settle.Elapsed < TimeSpan.FromSeconds(180))
        {
            await Task.Delay(1000);
            var now = await Held();
            if (!now.SequenceEqual(spread) || now.Sum() != hosts || now.Contains(0)) { spread = now; still.Restart(); }
        }
        held = spread;
        Console.Error.WriteLine($"  kill {kill}: member {victim} back; hosts held {string.Join("/", held)}");
    }
}
static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

try
{
    if (opt.ContainsKey("members"))
    {
        var members = int.Parse(O("members", "1"));
        try { await FleetMemory(members); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException)
        {
            // A member that dies or stops answering under load is a result, not a bench crash: one "abandoned" row
            // for the table (with which members had exited, and how), and exit 2.
            var exited = started.Select((p, i) => (p, i)).Where(x => x.p.HasExited).Select(x => $"member {x.i} exited with {x.p.ExitCode}").ToList();
            Console.WriteLine(string.Join('\t', "abandoned", members, e.GetType().Name, e.Message.ReplaceLineEndings(" "),
                exited.Count > 0 ? string.Join(", ", exited) : "no member had exited"));
            Environment.ExitCode = 2;
        }
        return;
    }
    var a = StartAggregator(portA, httpA, null);
    await Until(async () => (await http.GetAsync(urlA + "/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "aggregator A ready");
    var baseline = await Json(urlA + "/ops/memory?gc=true");
    var baseManaged = baseline.GetProperty("managedBytes").GetInt64();
    var baseRss = Rss(a);
    Console.WriteLine($"aggregator A up: managed {baseManaged / 1e6:0.0} MB, RSS {baseRss / 1e6:0.0} MB");

    using var host = new HostBuilder().ConfigureLogging(l => l.ClearProviders())
        .ConfigureServices(s => s.AddAkka("godo-bench", b => b
            .AddHocon("akka { loglevel = WARNING, stdout-loglevel = WARNING, log-dead-letters = 0, log-dead-letters-during-shutdown = off }", HoconAddMode.Prepend)
            .AddAggregatorClient(new PublisherSettings { HostName = "bench", Aggregators = [$"akka.tcp://godo@127.0.0.1:{portA}"] })))
        .Build();
    await host.StartAsync();
    var system = host.Services.GetRequiredService<ActorSystem>();
    var client = host.Services.GetRequiredService<ActorRegistry>().Get<AggregatorClientKey>();
    await Task.Delay(2000); // let the client find a receptionist before the snapshots go
    var perHost = (double)rate / hosts;
    var sims = Enumerable.Range(0, hosts).Select(i => system.ActorOf(Props.Create(() => new SimHost($"sim-{i:000}", procs, perHost, client)), $"sim-{i}")).ToList();
    var loadClock = Stopwatch.StartNew();

    await Until(async () =>
    {
        var hs = await Json(urlA + "/api/hosts");
        return hs.GetArrayLength() == hosts && hs.EnumerateArray().All(h => h.GetProperty("processCount").GetInt32() >= procs * 0.95);
    }, TimeSpan.FromSeconds(120), "all hosts on A");
    Console.WriteLine($"all {hosts} hosts x ~{procs} processes on A after {loadClock.Elapsed.TotalSeconds:0.0}s");

    // latency under load
    async Task<(double p50, double p99, int n, long bytes)> Latency(Func<int, string> url, int n)
    {
        var times = new List<double>(); long bytes = 0;
        for (var i = 0; i < n; i++)
        {
            var sw = Stopwatch.StartNew();
            var body = await http.GetByteArrayAsync(url(i));
            times.Add(sw.Elapsed.TotalMilliseconds); bytes = body.Length;
        }
        times.Sort();
        return (times[n / 2], times[(int)(n * 0.99)], n, bytes);
    }
    var rnd = new Random(7);
    var metrics0 = await http.GetStringAsync(urlA + "/metrics");
    var t0 = Stopwatch.StartNew();
    var tree = await Latency(_ => $"{urlA}/api/hosts/sim-{rnd.Next(hosts):000}/tree", 2000);
    var containers = await Latency(_ => $"{urlA}/api/containers", 200);
    var metrics1 = await http.GetStringAsync(urlA + "/metrics");
    double Metric(string text, string name) => text.Split('\n').Where(l => l.StartsWith(name + " ")).Select(l => double.Parse(l.Split(' ')[1])).FirstOrDefault();
    var changesPerSec = (Metric(metrics1, "godo_delta_changes_total") - Metric(metrics0, "godo_delta_changes_total")) / t0.Elapsed.TotalSeconds;
    var deltasPerSec = (Metric(metrics1, "godo_deltas_total") - Metric(metrics0, "godo_deltas_total")) / t0.Elapsed.TotalSeconds;
    Console.WriteLine($"ingest on A during the latency runs: {changesPerSec:0} process changes/s in {deltasPerSec:0} deltas/s");
    Console.WriteLine($"GET /api/hosts/{{h}}/tree: p50 {tree.p50:0.00} ms, p99 {tree.p99:0.00} ms ({tree.n} requests, {tree.bytes / 1024} KiB each)");
    Console.WriteLine($"GET /api/containers:      p50 {containers.p50:0.00} ms, p99 {containers.p99:0.00} ms ({containers.n} requests, {containers.bytes / 1024} KiB each)");

    var mem = await Json(urlA + "/ops/memory?gc=true");
    var managed = mem.GetProperty("managedBytes").GetInt64();
    var total = mem.GetProperty("processes").GetInt64();
    var rss = Rss(a);
    Console.WriteLine($"memory on A: {total} processes; managed {managed / 1e6:0.0} MB ({(managed - baseManaged) / (double)total:0} B/process over the empty aggregator), " +
                      $"RSS {rss / 1e6:0.0} MB ({(rss - baseRss) / (double)total:0} B/process)");

    // a new aggregator joins while the load goes on
    var bClock = Stopwatch.StartNew();
    StartAggregator(portB, httpB, $"akka.tcp://godo@127.0.0.1:{portA}");
    await Until(async () => (await http.GetAsync(urlB + "/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "B ready");
    var upAt = bClock.Elapsed;
    await Until(async () =>
    {
        var hb = await Json(urlB + "/api/hosts");
        if (hb.GetArrayLength() != hosts) return false;
        var ha = (await Json(urlA + "/api/hosts")).EnumerateArray().ToDictionary(h => h.GetProperty("host").GetString()!, h => h.GetProperty("sequence").GetInt64());
        // converged: every host present, not waiting for a snapshot, and at most 2 batches (200 ms) behind A
        return hb.EnumerateArray().All(h => !h.GetProperty("awaitingSnapshot").GetBoolean()
                                            && ha.TryGetValue(h.GetProperty("host").GetString()!, out var sa) && Math.Abs(sa - h.GetProperty("sequence").GetInt64()) <= 2);
    }, TimeSpan.FromSeconds(120), "B converged");
    var converged = bClock.Elapsed;
    Console.WriteLine($"new aggregator B: process start -> member up & ready {upAt.TotalSeconds:0.0}s; -> all {hosts} hosts converged {converged.TotalSeconds:0.0}s " +
                      $"({(converged - upAt).TotalSeconds:0.0}s after it was up)");

    var left = TimeSpan.FromSeconds(loadSeconds) - loadClock.Elapsed;
    if (left > TimeSpan.Zero) await Task.Delay(left);
    foreach (var s in sims) system.Stop(s);
    await host.StopAsync();
}
finally
{
    foreach (var p in started) { try { p.Kill(); p.WaitForExit(10_000); } catch (InvalidOperationException) { } }
}

/// <summary>One simulated agent: a snapshot, then every 100 ms a delta (new processes, execs in place, removals), heartbeats.</summary>
sealed class SimHost : ReceiveActor, IWithTimers
{
    private sealed record Tick; private sealed record Beat;
    private static readonly string[] Exes = Enumerable.Range(0, 60).Select(i => $"/usr/{(i % 3 == 0 ? "sbin" : "bin")}/prog{i}").ToArray();
    private static readonly string[] Cwds = ["/", "/app", "/srv/data", "/var/lib/service", "/home/user"];
    private readonly string _host, _inc = Guid.NewGuid().ToString("N");
    private readonly Dictionary<int, ProcessInfo> _procs = new();
    private readonly Dictionary<string, ContainerInfo> _containers = new();
    private readonly IActorRef _client;
    private readonly Random _rnd;
    private readonly double _perTick;
    private readonly int _target;
    private double _carry;
    private long _seq;
    private int _nextPid = 1000;
    private readonly SentDeltas _sent = new(1024 * 1024); // the agent's default (PublisherSettings.ResendBytes)
    public ITimerScheduler Timers { get; set; } = null!;

    public SimHost(string host, int procs, double changesPerSecond, IActorRef client)
    {
        _host = host; _client = client; _rnd = new Random(host.GetHashCode()); _perTick = changesPerSecond / 10; _target = procs;
        for (var c = 0; c < 10; c++)
        {
            var id = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
            _containers[id] = new ContainerInfo { Id = id, Name = $"{host}-app{c}", Image = $"registry.example/app{c}:1.{c}", InitPid = 0, ProcessCount = 0, State = "running", StartedAt = DateTimeOffset.UtcNow };
        }
        _procs[1] = new ProcessInfo { Pid = 1, Ppid = 0, Comm = "systemd", Exe = "/usr/lib/systemd/systemd", Argv = ["/sbin/init"], StartedAt = DateTimeOffset.UtcNow };
        while (_procs.Count < procs) New();
        Receive<Tick>(_ => OnTick());
        Receive<Beat>(_ => Send(new AgentHeartbeat(_host, _inc, _seq, DateTimeOffset.UtcNow, new AgentStats { Version = "bench", Source = "sim" })));
        // As the agent's publisher answers: the deltas again when it still has them all (once per gap), else a snapshot.
        Receive<SnapshotRequest>(r =>
        {
            if (r.FromSequence is { } from && _sent.TryResend(from, _seq, out var again)) foreach (var d in again) Send(d);
            else Snapshot();
        });
        Snapshot();
        Timers.StartPeriodicTimer("t", new Tick(), TimeSpan.FromMilliseconds(100));
        Timers.StartPeriodicTimer("b", new Beat(), TimeSpan.FromSeconds(2));
    }

    private ProcessInfo New()
    {
        var pid = _nextPid++;
        var container = _rnd.Next(4) == 0 ? null : _containers.Keys.ElementAt(_rnd.Next(_containers.Count));
        var exe = Exes[_rnd.Next(Exes.Length)];
        var p = new ProcessInfo
        {
            Pid = pid, Ppid = 1, Comm = Path.GetFileName(exe), Exe = exe, Cwd = Cwds[_rnd.Next(Cwds.Length)], Uid = _rnd.Next(3) * 1000,
            Argv = [Path.GetFileName(exe), "--config", $"/etc/app/{_rnd.Next(20)}.conf", $"--id={_rnd.Next(1_000_000)}"],
            Container = container, NsPid = container is null ? null : _rnd.Next(2, 300), StartedAt = DateTimeOffset.UtcNow,
        };
        _procs[pid] = p;
        return p;
    }

    private void OnTick()
    {
        _carry += _perTick;
        var n = (int)_carry; _carry -= n;
        if (n == 0) return;
        var changes = ImmutableArray.CreateBuilder<ProcessChange>(n);
        for (var i = 0; i < n; i++)
        {
            switch (i % 3)
            {
                case 0 when _procs.Count <= _target:
                case 1 when _procs.Count < _target:
                    changes.Add(new ProcessChange(ProcessChangeKind.Upsert, New()));
                    break;
                case 0 or 1:
                {
                    var victim = _procs.Keys.ElementAt(1 + _rnd.Next(_procs.Count - 1));
                    changes.Add(new ProcessChange(ProcessChangeKind.Removed, _procs[victim]));
                    _procs.Remove(victim);
                    break;
                }
                default:
                {
                    var key = _procs.Keys.ElementAt(1 + _rnd.Next(_procs.Count - 1));
                    var p = _procs[key] with { Argv = ["sh", "-c", $"run-step {_rnd.Next(1000)}"], Exe = "/bin/sh", Comm = "sh" };
                    _procs[key] = p;
                    changes.Add(new ProcessChange(ProcessChangeKind.Upsert, p));
                    break;
                }
            }
        }
        var delta = new HostDelta(_host, _inc, ++_seq, DateTimeOffset.UtcNow, changes.MoveToImmutable(), []);
        _sent.Add(delta, 64 + delta.Processes.Sum(c => WireSize.Of(c.Process)), DateTime.UtcNow);
        Send(delta);
    }

    private void Snapshot()
    {
        _sent.Clear();
        Send(new HostSnapshot(_host, _inc, ++_seq, DateTimeOffset.UtcNow, [.. _procs.Values], [.. _containers.Values], new AgentStats { Version = "bench", Source = "sim" }));
    }

    private void Send(IGodoWireMessage m) => _client.Tell(new ClusterClient.Send(GodoConstants.AgentIngestPath, m, localAffinity: true));
}
