// bench/storage.sh's history lines: the history writer's rows (HistoryRecorder over --hosts hosts, a delta per host
// per 100 ms of event time with --changes process changes, half starts and half exits; a write per 250 ms as the
// writer flushes) written to two new stores of one kind, alternately, the same batches to each: through
// HistoryStore.Write (batched), and through linq2db's upsert per row in one transaction per batch (the path
// HistoryStore.Write took before: the baseline). Prints per path the rows written, rows/s, process versions/s and
// the store's growth per process version stored.
using System.Diagnostics;
using Godo.Aggregator.History;
using Godo.Aggregator.Storage;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using LinqToDB;
using LinqToDB.Data;
using LinqToDB.DataProvider.SQLite;

static class HistoryWrites
{
    public static async Task RunAsync(string label, (StorageTarget Target, string? Dir) batched, (StorageTarget Target, string? Dir) perRow,
        int hosts, int writes, int changes, TextWriter results)
    {
        var paths = new[] { new WritePath("batched", new HistoryStore(batched.Target, batched.Dir)), new WritePath("per-row", new HistoryStore(perRow.Target, perRow.Dir)) };
        var recorder = new HistoryRecorder();
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_928_672_000);
        var live = Enumerable.Range(0, hosts).Select(_ => new Queue<ProcessInfo>()).ToArray();
        var seq = 0L;
        var pid = 1000;
        // A tick: every host's delta for 100 ms of event time.
        HistoryBatch Tick(long ms)
        {
            var batch = new HistoryBatch();
            for (var h = 0; h < hosts; h++)
            {
                var list = new List<ProcessChange>();
                for (var c = 0; c < changes; c++)
                {
                    var at = t0.AddMilliseconds(ms + c);
                    if (c % 2 == 1 && live[h].Count > 0)
                    {
                        var dead = live[h].Dequeue() with { ExitedAt = at };
                        list.Add(new ProcessChange(ProcessChangeKind.Exited, dead, at, ExitCode: c % 3));
                        continue;
                    }
                    var p = new ProcessInfo
                    {
                        Pid = pid++, Ppid = 1, Comm = "python3", Exe = "/usr/bin/python3.11", Argv = ["python3", "-m", "gunicorn", "--workers", "4", $"app.wsgi:{pid}"],
                        Cwd = "/srv/app", Uid = 1000, User = "app", Container = "3f4e9a0c2b7d" + new string((char)('a' + h % 6), 52), NsPid = c + 7, StartedAt = at,
                    };
                    live[h].Enqueue(p);
                    list.Add(new ProcessChange(ProcessChangeKind.Upsert, p, at));
                }
                batch.Add(recorder.Record(new HostDelta($"host-{h}", "bench", ++seq, DateTimeOffset.UtcNow, [.. list], [], t0.AddMilliseconds(ms + 99))));
            }
            return batch;
        }

        // Warm-up outside the measure (tables made, connections open, JIT): one write to each.
        long ms = 0;
        var warm = Tick(ms += 100);
        foreach (var p in paths) p.Write(warm);
        foreach (var p in paths) p.Before = await StoreSize.MeasureAsync(p.Store.Target);
        for (var w = 0; w < writes; w++)
        {
            // 250 ms of event time per write, as the writer flushes: a version can open and close within one.
            var batch = Tick(ms += 100);
            batch.Add(Tick(ms += 100));
            if (w % 2 == 0) batch.Add(Tick(ms += 100));
            // Alternate which path goes first, so neither always meets the machine in the same state.
            foreach (var p in w % 2 == 0 ? paths : paths.Reverse()) p.Write(batch);
        }
        var stored = paths.Select(p => CountVersions(p.Store.Target)).ToArray();
        // Same batches, same rows: two paths that stored different histories are not comparable (and one is wrong).
        if (stored[0] != stored[1]) throw new InvalidOperationException($"the paths stored {stored[0]} and {stored[1]} process versions");
        foreach (var p in paths)
        {
            var after = await StoreSize.MeasureAsync(p.Store.Target);
            results.WriteLine(string.Join('\t', label, p.Name, p.Rows, $"{p.Clock.Elapsed.TotalSeconds:0.00}", $"{p.Rows / p.Clock.Elapsed.TotalSeconds:0}",
                $"{p.Versions / p.Clock.Elapsed.TotalSeconds:0}", stored[0], $"{(after - p.Before) / (double)stored[0]:0}", $"{p.Cpu.TotalSeconds:0.00}"));
        }
    }

    private static long CountVersions(StorageTarget target)
    {
        using var db = Connect(target);
        return db.GetTable<ProcessVersionRow>().LongCount();
    }

    private static DataConnection Connect(StorageTarget target) => new(target.Provider == StorageProvider.Sqlite
        ? new DataOptions().UseSQLite(target.ConnectionString, SQLiteProvider.Microsoft)
        : new DataOptions().UsePostgreSQL(target.ConnectionString));

    private sealed class WritePath(string name, HistoryStore store)
    {
        public string Name { get; } = name;
        public HistoryStore Store { get; } = store;
        public Stopwatch Clock { get; } = new();
        public TimeSpan Cpu { get; private set; }
        public long Rows { get; private set; }
        public long Versions { get; private set; }
        public long Before { get; set; }

        public void Write(HistoryBatch batch)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            Clock.Start();
            if (Name == "batched") Store.Write(batch);
            else PerRow(batch);
            Clock.Stop();
            Cpu += Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Rows += batch.Processes.Count + batch.Keyframes.Count + batch.Containers.Count + batch.Hosts.Count;
            Versions += batch.Processes.Count;
        }

        /// <summary>The baseline: HistoryStore.Write as it was, linq2db's InsertOrReplace per row (last of a key only).</summary>
        private void PerRow(HistoryBatch batch)
        {
            Store.EnsureCreated();
            using var db = Connect(Store.Target);
            using var tx = db.BeginTransaction();
            foreach (var row in Last(batch.Processes, r => (r.Host, r.Pid, r.StartedAt, r.ValidFrom))) db.InsertOrReplace(row);
            foreach (var row in Last(batch.Keyframes, r => (r.Host, r.At, r.Pid, r.StartedAt))) db.InsertOrReplace(row);
            foreach (var row in Last(batch.Containers, r => (r.Host, r.Id, r.ValidFrom))) db.InsertOrReplace(row);
            foreach (var row in Last(batch.Hosts, r => r.Host))
            {
                var old = db.GetTable<HistoryHostRow>().FirstOrDefault(h => h.Host == row.Host);
                db.InsertOrReplace(old is null ? row : row with { FirstAt = Math.Min(old.FirstAt, row.FirstAt), LastAt = Math.Max(old.LastAt, row.LastAt) });
            }
            tx.Commit();
        }

        private static IEnumerable<T> Last<T, TKey>(List<T> rows, Func<T, TKey> key) where TKey : notnull
        {
            var last = new Dictionary<TKey, T>();
            foreach (var r in rows) last[key(r)] = r;
            return last.Values;
        }
    }
}
