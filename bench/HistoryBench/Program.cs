// godo history benchmark: a synthetic fleet (H hosts x P processes, R process changes/s fleet-wide: each change one
// process exits and a new one starts, one delta per host per 100 ms of event time) written through HistoryStore.Write,
// the history writer's own batch path (same tables, same indexes, same upserts, hosts interleaved in time order).
// --via recorder: the deltas go through HistoryRecorder as in the aggregator (each version written open, then again
// closed); --via rows (default, about twice as fast to build): the same versions and keyframes made here, each written
// once closed (still-open ones before each measurement). The history grows to each length of --minutes in
// turn; at each, Q tree-at-T queries at random hosts and moments over the whole span, through HistoryStore.TreeAt (the
// API's own code), each checked to hold its host's P processes. Prints build rate, rows, bytes/row, p50/p99/max.
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Godo.Aggregator.History;
using Godo.Aggregator.Storage;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using LinqToDB;
using LinqToDB.Data;

var opt = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--")).ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
string O(string k, string d) => opt.TryGetValue(k, out var v) ? v : d;
int hosts = int.Parse(O("hosts", "200")), procs = int.Parse(O("procs", "500")), rate = int.Parse(O("rate", "20000"));
var lengths = O("minutes", "1,3,10").Split(',').Select(m => double.Parse(m, CultureInfo.InvariantCulture)).Order().ToArray();
var queries = int.Parse(O("queries", "1000"));
var flushMs = int.Parse(O("flush-ms", "1000"));
var viaRecorder = O("via", "rows") switch { "recorder" => true, "rows" => false, var v => throw new ArgumentException($"--via {v}: recorder or rows") };
var storage = O("journal", "") is { Length: > 0 } url ? new StorageSettings { Journal = url } : new StorageSettings { DataDir = O("data", "bench/out/history") };
var target = storage.Target;
var store = new HistoryStore(target, storage.Journal is null ? storage.DataDir : null);
store.EnsureCreated();
var queryOnly = opt.ContainsKey("query-only"); // measure a history built before (another build of the store, say)
// --cold: the kernel's page cache is dropped before each query, so every page it reads comes from the disk: what a
// history far larger than memory (24 h of the full fleet, hundreds of GB) costs a query, on a history that fits here.
var cold = opt.ContainsKey("cold");
if (cold && !File.Exists("/proc/sys/vm/drop_caches")) throw new ArgumentException("--cold needs /proc/sys/vm/drop_caches");
var options = target.Provider == StorageProvider.Sqlite
    ? new DataOptions().UseSQLite(target.ConnectionString + ";Default Timeout=60", LinqToDB.DataProvider.SQLite.SQLiteProvider.Microsoft)
    : new DataOptions().UsePostgreSQL(target.ConnectionString);
const long T0 = 1_795_928_672_000;
var rng = new Random(42);
var fleet = Fleet(hosts);
if (queryOnly)
{
    using var db = new DataConnection(options);
    var last = db.GetTable<HistoryHostRow>().Max(h => h.LastAt);
    // The hosts the history holds, not --hosts: queries at hosts it never had would all come back empty.
    hosts = db.GetTable<HistoryHostRow>().Count();
    fleet = Fleet(hosts);
    Console.WriteLine($"-- the history already there: {(last - T0) / 60_000.0:0.#} min of event time, {hosts} hosts, {store.SizeBytes() / 1048576.0:N0} MiB");
    Query(last);
    return 0;
}
using (var db = new DataConnection(options))
{
    // A fresh history each run (bench/history.sh also starts SQLite from a new file).
    foreach (var table in new[] { "godo_process_versions", "godo_container_versions", "godo_history_keyframes", "godo_history_hosts" })
        db.Execute(target.Provider == StorageProvider.Postgres ? $"TRUNCATE {table}" : $"DELETE FROM {table}");
}
Console.WriteLine($"history bench: {target.Describe()}, {hosts} hosts x {procs} processes, {rate:N0} changes/s, " +
                  $"lengths {string.Join(", ", lengths)} min of event time, {queries} queries each, via {(viaRecorder ? "recorder" : "rows")}");

const int DeltaMs = 100; // an agent's batching
var recorder = new HistoryRecorder();
var changesPerDelta = (double)rate * DeltaMs / 1000 / hosts;
var written = new BlockingCollection<HistoryBatch>(boundedCapacity: 2); // the writer's one write in flight, and the next
long rowsWritten = 0, changes = 0, batchesDone = 0, batchesSent = 0;
var writer = Task.Run(() =>
{
    foreach (var batch in written.GetConsumingEnumerable())
    {
        store.Write(batch);
        Interlocked.Add(ref rowsWritten, batch.Processes.Count + batch.Containers.Count + batch.Keyframes.Count);
        Interlocked.Increment(ref batchesDone);
    }
});
void Send(HistoryBatch batch) { batchesSent++; written.Add(batch); }

// Every host's first snapshot, at T0.
var pending = new HistoryBatch();
foreach (var h in fleet)
{
    var snapshot = h.Snapshot(T0);
    if (viaRecorder) pending.Add(recorder.Record(snapshot));
    else h.Keyframe(T0, pending);
}
var now = T0;
var build = Stopwatch.StartNew();
foreach (var minutes in lengths)
{
    var end = T0 + (long)(minutes * 60_000);
    for (; now < end; now += DeltaMs)
    {
        foreach (var h in fleet)
        {
            var delta = h.Delta(now + DeltaMs, changesPerDelta, viaRecorder ? null : pending);
            changes += delta.Processes.Length / 2;
            if (viaRecorder) pending.Add(recorder.Record(delta));
        }
        if ((now + DeltaMs - T0) % flushMs == 0) { Send(pending); pending = new HistoryBatch(); }
    }
    if (!viaRecorder) foreach (var h in fleet) h.WriteOpen(pending, end);
    Send(pending);
    pending = new HistoryBatch();
    while (Interlocked.Read(ref batchesDone) < batchesSent) Thread.Sleep(10);
    var bytes = store.SizeBytes();
    long rows;
    using (var db = new DataConnection(options))
        rows = db.GetTable<ProcessVersionRow>().LongCount() + db.GetTable<KeyframeRow>().LongCount();
    var buildSeconds = build.Elapsed.TotalSeconds;
    Console.WriteLine($"-- {minutes:0.#} min of event time: {changes:N0} changes recorded in {buildSeconds:0}s ({changes / buildSeconds:N0} changes/s, " +
                      $"{rowsWritten / buildSeconds:N0} rows written/s); {rows:N0} rows, {bytes / 1048576.0:N0} MiB, {(double)bytes / rows:0} bytes/row");
    build.Stop();
    Query(end);
    build.Start();
}
written.CompleteAdding();
writer.Wait();
return 0;

void Query(long end)
{
    for (var i = 0; i < 20; i++) store.TreeAt(fleet[rng.Next(hosts)].Name, DateTimeOffset.FromUnixTimeMilliseconds(T0 + rng.NextInt64(end - T0)));
    var times = new List<double>(queries);
    var wrong = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime; // per query, whatever else the machine runs
    for (var i = 0; i < queries; i++)
    {
        var host = fleet[rng.Next(hosts)].Name;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(T0 + rng.NextInt64(end - T0));
        if (cold) DropPageCache();
        var sw = Stopwatch.StartNew();
        var tree = store.TreeAt(host, at).Tree;
        sw.Stop();
        times.Add(sw.Elapsed.TotalMilliseconds);
        if (tree is null || tree.Processes.Length != procs) wrong++; // every moment has exactly P processes alive
    }
    var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / queries;
    times.Sort();
    double P(double q) => times[Math.Min(times.Count - 1, (int)(q * times.Count))];
    Console.WriteLine($"   tree-at-T{(cold ? " from a cold page cache" : "")}, {queries} random (host, T) over the whole span: p50 {P(0.50):0.0} ms, p99 {P(0.99):0.0} ms, max {times[^1]:0.0} ms, CPU {cpuMs:0.0} ms/query; " +
                      (wrong == 0 ? $"every tree had its {procs} processes" : $"{wrong} trees WRONG"));
    if (wrong > 0) Environment.Exit(1);
}

Host[] Fleet(int count) => Enumerable.Range(0, count).Select(h => new Host($"host-{h:D4}", procs, new Random(h), T0)).ToArray();

static void DropPageCache()
{
    // Only clean pages go: written pages first reach the disk (sync), so nothing of the store is lost.
    using (var sync = Process.Start("sync")) sync!.WaitForExit();
    File.WriteAllText("/proc/sys/vm/drop_caches", "1");
}

/// <summary>One simulated agent: its live processes, and the deltas it would send.</summary>
sealed class Host(string name, int procs, Random rng, long t0)
{
    public string Name { get; } = name;
    private readonly List<ProcessInfo> _alive = new(procs);
    private readonly List<ProcessVersionRow> _open = new(procs); // --via rows: the open versions, as the recorder has them
    private long _nextKeyframe;
    private int _nextPid = 1000;
    private long _sequence;
    private double _owed;

    private ProcessInfo Start(long at) => new()
    {
        Pid = _nextPid++, Ppid = 1, Comm = "worker", Exe = "/usr/bin/worker", Argv = ["/usr/bin/worker", "--job", rng.Next(100_000).ToString(CultureInfo.InvariantCulture)],
        ArgvBytes = 32, ArgvCount = 3, Uid = 1000, Cwd = "/srv", StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(at),
    };

    public HostSnapshot Snapshot(long at)
    {
        for (var i = 0; i < procs; i++) _alive.Add(Start(at));
        _open.AddRange(_alive.Select(p => HistoryRecorder.Row(Name, p) with { ValidFrom = at }));
        return new HostSnapshot(Name, "bench", _sequence++, DateTimeOffset.FromUnixTimeMilliseconds(at), [.. _alive], [], new AgentStats(),
            EventTime: DateTimeOffset.FromUnixTimeMilliseconds(at));
    }

    /// <summary>
    /// The changes of the 100 ms before <paramref name="cut"/>, each an exit and a start at its own moment; with
    /// <paramref name="rows"/>, their closed versions and the minute's keyframe go there, as the recorder would make them.
    /// </summary>
    public HostDelta Delta(long cut, double changes, HistoryBatch? rows)
    {
        if (rows is not null && cut - 100 >= _nextKeyframe) Keyframe(cut - 100, rows);
        _owed += changes;
        var list = ImmutableArray.CreateBuilder<ProcessChange>();
        var n = (int)_owed;
        _owed -= n;
        for (var i = 0; i < n; i++)
        {
            // In event-time order, as the agent sends them.
            var at = DateTimeOffset.FromUnixTimeMilliseconds(cut - 100 + (100 * i + rng.Next(100)) / n);
            var k = rng.Next(_alive.Count);
            list.Add(new ProcessChange(ProcessChangeKind.Exited, _alive[k] with { ExitedAt = at }, at, ExitCode: 0));
            _alive[k] = Start(at.ToUnixTimeMilliseconds());
            if (rows is not null)
            {
                var ms = at.ToUnixTimeMilliseconds();
                rows.Processes.Add(_open[k] with { ValidTo = ms, ExitedAt = ms, ExitCode = 0 });
                _open[k] = HistoryRecorder.Row(Name, _alive[k]) with { ValidFrom = ms };
            }
            list.Add(new ProcessChange(ProcessChangeKind.Upsert, _alive[k], at));
        }
        var cutAt = DateTimeOffset.FromUnixTimeMilliseconds(cut);
        return new HostDelta(Name, "bench", _sequence++, cutAt, list.ToImmutable(), [], cutAt);
    }

    /// <summary>The keyframe the recorder writes every minute: its marker and every open version.</summary>
    public void Keyframe(long at, HistoryBatch rows)
    {
        _nextKeyframe = at + 60_000;
        rows.Keyframes.Add(new KeyframeRow { Host = Name, At = at, Pid = HistoryRecorder.KeyframeMarkerPid });
        foreach (var o in _open) rows.Keyframes.Add(new KeyframeRow { Host = Name, At = at, Pid = o.Pid, StartedAt = o.StartedAt, ValidFrom = o.ValidFrom });
        rows.Hosts.Add(new HistoryHostRow { Host = Name, FirstAt = t0, LastAt = at });
    }

    /// <summary>The versions still open, as open rows (replaced when they close), so every tree so far can be read.</summary>
    public void WriteOpen(HistoryBatch rows, long end)
    {
        rows.Processes.AddRange(_open);
        rows.Hosts.Add(new HistoryHostRow { Host = Name, FirstAt = t0, LastAt = end });
    }
}
