// godo history benchmark: a synthetic history of H hosts x P processes with R process changes/s fleet-wide (each
// change: one process exits, a new one starts) over D minutes of event time, written into the history's real tables
// (SQLite file or PostgreSQL), with the keyframes the recorder writes (one per host per minute); then Q random
// tree-at-T queries through HistoryStore.TreeAt, the API's own code. Prints rows, bytes, load rate, p50/p99/max.
using System.Diagnostics;
using Godo.Aggregator.History;
using Godo.Aggregator.Storage;
using LinqToDB;
using LinqToDB.Data;

var opt = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--")).ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
string O(string k, string d) => opt.TryGetValue(k, out var v) ? v : d;
int hosts = int.Parse(O("hosts", "200")), procs = int.Parse(O("procs", "500")), rate = int.Parse(O("rate", "20000"));
var minutes = double.Parse(O("minutes", "10"), System.Globalization.CultureInfo.InvariantCulture);
var queries = int.Parse(O("queries", "1000"));
var storage = O("journal", "") is { Length: > 0 } url ? new StorageSettings { Journal = url } : new StorageSettings { DataDir = O("data", "bench/out/history") };
var target = storage.Target;
var store = new HistoryStore(target, storage.Journal is null ? storage.DataDir : null);
store.EnsureCreated();
var options = target.Provider == StorageProvider.Sqlite
    ? new DataOptions().UseSQLite(target.ConnectionString + ";Default Timeout=60", LinqToDB.DataProvider.SQLite.SQLiteProvider.Microsoft)
    : new DataOptions().UsePostgreSQL(target.ConnectionString);

const long T0 = 1_795_928_672_000;
var durationMs = (long)(minutes * 60_000);
var rng = new Random(42);
Console.Error.WriteLine($"history bench: {target.Describe()}, {hosts} hosts x {procs} processes, {rate} changes/s, {minutes} min of event time");

using (var db = new DataConnection(options))
{
    // A fresh history each run.
    db.GetTable<ProcessVersionRow>().Delete();
    db.GetTable<KeyframeRow>().Delete();
    db.GetTable<ContainerVersionRow>().Delete();
    db.GetTable<HistoryHostRow>().Delete();
}

var load = Stopwatch.StartNew();
long rows = 0;
var perHostGapMs = 1000.0 * hosts / rate; // one change per host every this many ms
Parallel.For(0, hosts, new ParallelOptions { MaxDegreeOfParallelism = target.Provider == StorageProvider.Sqlite ? 1 : 2 }, h =>
{
    var host = $"host-{h:D4}";
    var r = new Random(h);
    var alive = new List<ProcessVersionRow>(procs);
    var pid = 1000;
    ProcessVersionRow NewProc(long at) => new()
    {
        Host = host, Pid = pid++, StartedAt = at, ValidFrom = at, Ppid = 1, Exe = "/usr/bin/worker", Comm = "worker",
        Argv = $"[\"/usr/bin/worker\",\"--job\",\"{r.Next(100_000)}\"]", Uid = 1000, Cwd = "/srv",
    };
    for (var i = 0; i < procs; i++) alive.Add(NewProc(T0));
    var closed = new List<ProcessVersionRow>();
    var keyframes = new List<KeyframeRow>();
    void Keyframe(long at)
    {
        keyframes.Add(new KeyframeRow { Host = host, At = at, Pid = HistoryRecorder.KeyframeMarkerPid });
        foreach (var a in alive) keyframes.Add(new KeyframeRow { Host = host, At = at, Pid = a.Pid, StartedAt = a.StartedAt, ValidFrom = a.ValidFrom });
    }
    using var db = new DataConnection(options);
    void Flush()
    {
        using var tx = db.BeginTransaction();
        db.BulkCopy(new BulkCopyOptions { BulkCopyType = BulkCopyType.MultipleRows }, closed);
        db.BulkCopy(new BulkCopyOptions { BulkCopyType = BulkCopyType.MultipleRows }, keyframes);
        tx.Commit();
        Interlocked.Add(ref rows, closed.Count + keyframes.Count);
        closed.Clear(); keyframes.Clear();
    }
    Keyframe(T0);
    var nextKeyframe = T0 + 60_000;
    for (double t = T0 + r.NextDouble() * perHostGapMs; t < T0 + durationMs; t += perHostGapMs)
    {
        var at = (long)t;
        while (at >= nextKeyframe) { Keyframe(nextKeyframe); nextKeyframe += 60_000; }
        var k = r.Next(alive.Count);
        closed.Add(alive[k] with { ValidTo = at, ExitedAt = at, ExitCode = 0 });
        alive[k] = NewProc(at);
        if (closed.Count >= 20_000) Flush();
    }
    closed.AddRange(alive); // still open at the end
    Flush();
    db.Insert(new HistoryHostRow { Host = host, FirstAt = T0, LastAt = T0 + durationMs });
});
load.Stop();
var bytes = store.SizeBytes();
Console.WriteLine($"loaded {rows:N0} rows ({(double)rows / hosts / (durationMs / 60_000.0):N0} per host-minute) in {load.Elapsed.TotalSeconds:0.0}s " +
                  $"({rows / load.Elapsed.TotalSeconds:N0} rows/s); history {bytes / 1048576.0:0.0} MiB ({(double)bytes / rows:0} bytes/row)");

// Warm up, then Q random trees at random moments.
for (var i = 0; i < 20; i++) store.TreeAt($"host-{rng.Next(hosts):D4}", DateTimeOffset.FromUnixTimeMilliseconds(T0 + rng.NextInt64(durationMs)));
var times = new List<double>(queries);
var wrong = 0;
for (var i = 0; i < queries; i++)
{
    var host = $"host-{rng.Next(hosts):D4}";
    var at = DateTimeOffset.FromUnixTimeMilliseconds(T0 + rng.NextInt64(durationMs));
    var sw = Stopwatch.StartNew();
    var tree = store.TreeAt(host, at).Tree;
    sw.Stop();
    times.Add(sw.Elapsed.TotalMilliseconds);
    if (tree is null || tree.Processes.Length != procs) wrong++; // every moment has exactly P processes alive
}
times.Sort();
double P(double q) => times[Math.Min(times.Count - 1, (int)(q * times.Count))];
Console.WriteLine($"tree-at-T over {queries} random (host, T): p50 {P(0.50):0.0} ms, p99 {P(0.99):0.0} ms, max {times[^1]:0.0} ms; " +
                  $"{(wrong == 0 ? "every tree had its " + procs + " processes" : wrong + " trees WRONG")}");
return wrong == 0 ? 0 : 1;
