// godo storage bench: ingest into the aggregator's real journal (Akka.Persistence.Sql through WithGodoPersistence),
// as host entities would: each of --hosts persistent actors persists HostDeltas of --changes process changes each,
// --batch deltas per PersistAll, one batch at a time, until --deltas in all. Prints deltas/s, process changes/s and
// the store's growth per process change. One store per run: --data DIR (SQLite) or --journal postgres://...
// --steady SECONDS: the store's size over a steady-load run with retention on instead (Steady.cs).
// --history WRITES: the history's writes instead, batched against per row (HistoryWrites.cs), into two new stores:
// DIR/batched and DIR/per-row, or --journal and --journal2.
using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence;
using Godo.Aggregator.Storage;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var opt = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--")).ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
string O(string k, string d) => opt.TryGetValue(k, out var v) ? v : d;
int hosts = int.Parse(O("hosts", "20")), deltas = int.Parse(O("deltas", "20000")), changes = int.Parse(O("changes", "10")), batch = int.Parse(O("batch", "5"));
var storage = opt.ContainsKey("journal") ? new StorageSettings { Journal = O("journal", "") } : new StorageSettings { DataDir = O("data", "/tmp/godo-storage-bench") };
var label = storage.Journal is null ? "sqlite" : "postgres";
if (opt.ContainsKey("steady"))
{
    // Rows on stdout; the aggregator's own output (Akka logs to the console) on stderr.
    var rows = Console.Out;
    Console.SetOut(Console.Error);
    await SteadyBench.RunAsync(storage with { HistoryRetention = TimeSpan.FromSeconds(int.Parse(O("retention", "20"))) },
        TimeSpan.FromSeconds(int.Parse(O("steady", "180"))), TimeSpan.FromSeconds(int.Parse(O("every", "10"))), hosts, rows);
    return;
}

if (opt.ContainsKey("history"))
{
    (StorageTarget, string?) Store(string name, string? url) => url is { } u
        ? (new StorageSettings { Journal = u }.Target, null)
        : (new StorageSettings { DataDir = Path.Combine(storage.DataDir!, name) }.Target, Path.Combine(storage.DataDir!, name));
    await HistoryWrites.RunAsync(label, Store("batched", storage.Journal), Store("per-row", storage.Journal is null ? null : O("journal2", "")),
        hosts, int.Parse(O("history", "40")), changes, Console.Out);
    return;
}

StorageCheck.Verify(storage);
using var host = new HostBuilder()
    .ConfigureServices(s => s.AddAkka("godo-storage-bench", b => b.AddGodoWireSerializer().WithGodoPersistence(storage)
        .ConfigureLoggers(l => l.LogLevel = Akka.Event.LogLevel.WarningLevel)))
    .Build();
await host.StartAsync();
var system = host.Services.GetRequiredService<ActorSystem>();
var run = Guid.NewGuid().ToString("N")[..8];
var entities = Enumerable.Range(0, hosts).Select(h => system.ActorOf(Props.Create(() => new HostEntity($"bench-{run}-host-{h}")))).ToArray();

// Warm up (tables made, connections open, JIT) with one batch per host, outside the measure.
await Task.WhenAll(entities.Select((e, h) => e.Ask<long>(Batch(h, 0), TimeSpan.FromMinutes(2))));
var before = await StoreSize.MeasureAsync(storage.Target);
var perHost = deltas / hosts / batch;
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
await Task.WhenAll(entities.Select(async (e, h) =>
{
    for (var i = 1; i <= perHost; i++) await e.Ask<long>(Batch(h, i), TimeSpan.FromMinutes(2));
}));
clock.Stop();
cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
var after = await StoreSize.MeasureAsync(storage.Target);
var persisted = (long)perHost * hosts * batch;
var processChanges = persisted * changes;
Console.WriteLine(string.Join('\t', label, persisted, processChanges, $"{clock.Elapsed.TotalSeconds:0.00}",
    $"{persisted / clock.Elapsed.TotalSeconds:0}", $"{processChanges / clock.Elapsed.TotalSeconds:0}",
    $"{(after - before) / (double)processChanges:0}", $"{cpu.TotalSeconds:0.00}"));
await host.StopAsync();
return;

// Deltas as an agent sends them in a burst: execs with argv, cwd, user and container, one container change in ten.
HostDelta[] Batch(int h, int i) => [.. Enumerable.Range(0, batch).Select(k =>
{
    var seq = (long)i * batch + k;
    return new HostDelta($"host-{h}", "bench", seq, DateTimeOffset.UtcNow,
        [.. Enumerable.Range(0, changes).Select(c => new ProcessChange(c % 3 == 2 ? ProcessChangeKind.Exited : ProcessChangeKind.Upsert, new ProcessInfo
        {
            Pid = (int)(seq * changes + c) % 4_000_000 + 2, Ppid = 1000 + c, Comm = "python3", Exe = "/usr/bin/python3.11",
            Argv = ["python3", "-m", "gunicorn", "--workers", "4", $"app.wsgi:{seq}"], Cwd = "/srv/app", Uid = 1000, User = "app",
            Container = "3f4e9a0c2b7d" + new string((char)('a' + h % 6), 52), NsPid = c + 7,
            StartedAt = DateTimeOffset.UtcNow, ExitedAt = c % 3 == 2 ? DateTimeOffset.UtcNow : null,
        }))],
        seq % 10 == 0 ? [new ContainerChange(ContainerChangeKind.Upsert, new ContainerInfo { Id = new string('c', 64), Name = $"web-{h}", Image = "registry.local/web:1.42", State = "running" })] : []);
})];

/// <summary>A host entity's write path only: PersistAll a batch, answer with the last sequence number once stored.</summary>
sealed class HostEntity : ReceivePersistentActor
{
    public HostEntity(string id)
    {
        PersistenceId = id;
        Command<HostDelta[]>(batch =>
        {
            var sender = Sender;
            PersistAll(batch, _ => { });
            DeferAsync(batch.Length, _ => sender.Tell(LastSequenceNr));
        });
    }

    public override string PersistenceId { get; }
}
