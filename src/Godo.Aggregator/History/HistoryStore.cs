using System.Collections.Immutable;
using Godo.Aggregator.Storage;
using Godo.Messages.Api;
using Godo.Messages.Model;
using LinqToDB;
using LinqToDB.Async;
using LinqToDB.Data;
using LinqToDB.DataProvider.SQLite;

namespace Godo.Aggregator.History;

/// <summary>What a tree-at-T asks the store: the tree, or why there is none.</summary>
public sealed record HistoryTree(HostTree? Tree, string? Missing);

/// <summary>A window query (`GET /api/processes?from=&amp;to=`).</summary>
public sealed record HistoryQuery(long From, long To, string? Host = null, string? ContainerId = null, string? Exe = null, string? Argv = null, int Limit = 10_000);

/// <summary>
/// The history's tables in the aggregator's store (the SQLite file under --data, or the shared PostgreSQL of
/// --journal): created at start, written in batches by the history writer, read by the API's queries over time.
/// Thread-safe: each call opens its own connection (pooled).
/// </summary>
public sealed class HistoryStore
{
    private readonly DataOptions _options;
    private readonly object _initGate = new();
    private volatile bool _ready;

    public HistoryStore(StorageTarget target, string? dataDir = null)
    {
        Target = target;
        DataDir = dataDir;
        _options = target.Provider == StorageProvider.Sqlite
            ? new DataOptions().UseSQLite(WithTimeout(target.ConnectionString), SQLiteProvider.Microsoft)
            : new DataOptions().UsePostgreSQL(target.ConnectionString);
    }

    public StorageTarget Target { get; }
    private string? DataDir { get; }

    // Writers and readers of one SQLite file wait for each other instead of failing at once.
    private static string WithTimeout(string cs) => cs.Contains("Default Timeout", StringComparison.OrdinalIgnoreCase) ? cs : cs.TrimEnd(';') + ";Default Timeout=30";

    private DataConnection Open()
    {
        EnsureCreated();
        return new DataConnection(_options);
    }

    /// <summary>Creates the tables and indexes when missing (once per process; every member may do it).</summary>
    public void EnsureCreated()
    {
        if (_ready) return;
        lock (_initGate)
        {
            if (_ready) return;
            if (Target.Provider == StorageProvider.Sqlite && DataDir is not null && !Directory.Exists(DataDir))
                Directory.CreateDirectory(DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var db = new DataConnection(_options);
            if (Target.Provider == StorageProvider.Sqlite) db.Execute("PRAGMA journal_mode=WAL");
            // SQLite: versions and keyframes stored in key order (host, time first), so a tree at T reads two short
            // contiguous ranges instead of a row lookup per version, and no rowid index doubles the key.
            var clustered = new CreateTableOptions(StatementFooter: Target.Provider == StorageProvider.Sqlite ? "WITHOUT ROWID" : null,
                TableOptions: TableOptions.CheckExistence);
            db.CreateTable<ProcessVersionRow>(clustered);
            db.CreateTable<ContainerVersionRow>(tableOptions: TableOptions.CheckExistence);
            db.CreateTable<KeyframeRow>(clustered);
            db.CreateTable<HistoryHostRow>(tableOptions: TableOptions.CheckExistence);
            foreach (var sql in new[]
            {
                // One process's versions (window queries find its last one); the key serves (host, valid_from).
                "CREATE INDEX IF NOT EXISTS godo_pv_process ON godo_process_versions (host, pid, started_at)",
                "CREATE INDEX IF NOT EXISTS godo_pv_to ON godo_process_versions (valid_to)",
                "CREATE INDEX IF NOT EXISTS godo_pv_host_to ON godo_process_versions (host, valid_to)",
                "CREATE INDEX IF NOT EXISTS godo_cv_from ON godo_container_versions (host, valid_from)",
            }) db.Execute(sql);
            _ready = true;
        }
    }

    // ---- writes -------------------------------------------------------------------------------

    /// <summary>
    /// Upserts a batch in one transaction, a few statements per table whatever its rows; a row written twice (two
    /// aggregators, or a retry) stays one row, and of one key written twice in a batch the last wins.
    /// </summary>
    public void Write(HistoryBatch batch)
    {
        if (batch.IsEmpty) return;
        using var db = Open();
        using var tx = db.BeginTransaction();
        // One statement touches a key once (PostgreSQL's ON CONFLICT refuses twice), so a version opened and closed in
        // this batch goes in as closed.
        Upsert(db, Last(batch.Processes, r => (r.Host, r.Pid, r.StartedAt, r.ValidFrom)));
        Upsert(db, Last(batch.Keyframes, r => (r.Host, r.At, r.Pid, r.StartedAt)));
        Upsert(db, Last(batch.Containers, r => (r.Host, r.Id, r.ValidFrom)));
        // Another aggregator may have recorded more of a host: keep the wider coverage.
        var (min, max) = Target.Provider == StorageProvider.Sqlite ? ("min", "max") : ("LEAST", "GREATEST");
        Upsert(db, Last(batch.Hosts, r => r.Host), new Dictionary<string, string>
        {
            ["first_at"] = $"{min}(godo_history_hosts.first_at, excluded.first_at)",
            ["last_at"] = $"{max}(godo_history_hosts.last_at, excluded.last_at)",
        });
        tx.Commit();
    }

    /// <summary>
    /// Inserts the rows by the table's mapping, a row whose key is there replacing its columns (or merging those in
    /// <paramref name="merge"/>: column → SQL). SQLite: one statement prepared once and rebound per row (in-process, a
    /// row costs microseconds). PostgreSQL: one statement for all rows, each column an array unnested (a statement per
    /// row is a round trip per row).
    /// </summary>
    private void Upsert<T>(DataConnection db, IReadOnlyCollection<T> rows, IReadOnlyDictionary<string, string>? merge = null) where T : notnull
    {
        if (rows.Count == 0) return;
        var entity = db.MappingSchema.GetEntityDescriptor(typeof(T));
        var columns = entity.Columns;
        var sqlite = Target.Provider == StorageProvider.Sqlite;
        using var cmd = db.OpenDbConnection().CreateCommand();
        cmd.Transaction = db.Transaction;
        var parameters = columns.Select((_, i) =>
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i;
            cmd.Parameters.Add(p);
            return p;
        }).ToArray();
        var names = string.Join(", ", columns.Select(c => Quote(c.ColumnName)));
        var keys = string.Join(", ", columns.Where(c => c.IsPrimaryKey).Select(c => Quote(c.ColumnName)));
        var sets = string.Join(", ", columns.Where(c => !c.IsPrimaryKey)
            .Select(c => $"{Quote(c.ColumnName)} = {merge?.GetValueOrDefault(c.ColumnName) ?? "excluded." + Quote(c.ColumnName)}"));
        var source = sqlite
            ? $"VALUES ({string.Join(", ", parameters.Select(p => p.ParameterName))})"
            : $"SELECT * FROM unnest({string.Join(", ", parameters.Select(p => p.ParameterName))})";
        cmd.CommandText = $"INSERT INTO {Quote(entity.Name.Name)} ({names}) {source} ON CONFLICT ({keys}) DO UPDATE SET {sets}";
        if (sqlite)
        {
            cmd.Prepare();
            foreach (var row in rows)
            {
                for (var i = 0; i < parameters.Length; i++) parameters[i].Value = columns[i].GetProviderValue(row) ?? DBNull.Value;
                cmd.ExecuteNonQuery();
            }
            return;
        }
        // Typed arrays (string[], long?[], bool[], ...): Npgsql sends them as text[], bigint[], boolean[], nulls kept.
        for (var i = 0; i < parameters.Length; i++)
        {
            var values = Array.CreateInstance(columns[i].MemberType, rows.Count);
            var n = 0;
            foreach (var row in rows) values.SetValue(columns[i].GetProviderValue(row), n++);
            parameters[i].Value = values;
        }
        cmd.ExecuteNonQuery();
    }

    private static string Quote(string name) => '"' + name + '"';

    private static IReadOnlyCollection<T> Last<T, TKey>(List<T> rows, Func<T, TKey> key) where TKey : notnull
    {
        var last = new Dictionary<TKey, T>();
        foreach (var r in rows) last[key(r)] = r;
        return last.Values;
    }

    /// <summary>What a writer needs to go on recording <paramref name="host"/>: its coverage, open versions and newest keyframe.</summary>
    public (List<HistoryHostRow> Hosts, List<ProcessVersionRow> Open, List<ContainerVersionRow> OpenContainers, Dictionary<string, long> Keyframes) LoadOpen(string host)
    {
        using var db = Open();
        var hosts = db.GetTable<HistoryHostRow>().Where(h => h.Host == host).ToList();
        var open = db.GetTable<ProcessVersionRow>().Where(v => v.Host == host && v.ValidTo == null).ToList();
        var containers = db.GetTable<ContainerVersionRow>().Where(v => v.Host == host && v.ValidTo == null).ToList();
        var keyframe = db.GetTable<KeyframeRow>().Where(k => k.Host == host && k.Pid == HistoryRecorder.KeyframeMarkerPid).Max(k => (long?)k.At);
        var keyframes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (keyframe is { } at) keyframes[host] = at;
        return (hosts, open, containers, keyframes);
    }

    // ---- queries ------------------------------------------------------------------------------

    public HistoryHostRow? Coverage(string host)
    {
        using var db = Open();
        return db.GetTable<HistoryHostRow>().FirstOrDefault(h => h.Host == host);
    }

    /// <summary>The processes alive on <paramref name="host"/> at <paramref name="at"/> (ms): the newest keyframe at or before it, and what began since.</summary>
    public List<ProcessVersionRow> ProcessesAt(DataConnection db, string host, long at)
    {
        var versions = db.GetTable<ProcessVersionRow>();
        var keyframes = db.GetTable<KeyframeRow>();
        // Every keyframe has its marker row, so any row's time is a keyframe's: one index seek, whatever the history's length.
        var k = keyframes.Where(x => x.Host == host && x.At <= at).Max(x => (long?)x.At);
        var rows = new List<ProcessVersionRow>();
        if (k is { } kf)
        {
            rows.AddRange(
                from f in keyframes
                where f.Host == host && f.At == kf && f.Pid != HistoryRecorder.KeyframeMarkerPid
                join v in versions on new { f.Host, f.Pid, f.StartedAt, f.ValidFrom } equals new { v.Host, v.Pid, v.StartedAt, v.ValidFrom }
                where v.ValidTo == null || v.ValidTo > at
                select v);
        }
        // From the keyframe's own millisecond on: a change recorded after the keyframe may bear its very time.
        var after = k ?? long.MinValue;
        rows.AddRange(versions.Where(v => v.Host == host && v.ValidFrom >= after && v.ValidFrom <= at && (v.ValidTo == null || v.ValidTo > at)));
        // One process per pid (a version in the keyframe and at its millisecond is read twice; should two overlap, a
        // reused pid seen late, the newer start wins).
        return rows.GroupBy(r => r.Pid).Select(g => g.MaxBy(r => r.StartedAt)!).OrderBy(r => r.Pid).ToList();
    }

    /// <summary>The host's tree as it stood at <paramref name="at"/>.</summary>
    public HistoryTree TreeAt(string host, DateTimeOffset at)
    {
        var t = HistoryRecorder.Ms(at);
        using var db = Open();
        var coverage = db.GetTable<HistoryHostRow>().FirstOrDefault(h => h.Host == host);
        if (coverage is null) return new HistoryTree(null, $"no history of {host}");
        if (t < coverage.FirstAt)
            return new HistoryTree(null, $"no history of {host} at {at:O}: it begins at {DateTimeOffset.FromUnixTimeMilliseconds(coverage.FirstAt):O}");
        var processes = ProcessesAt(db, host, t);
        var counts = processes.Where(p => p.Container is not null).GroupBy(p => p.Container!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var containers = db.GetTable<ContainerVersionRow>()
            .Where(c => c.Host == host && c.ValidFrom <= t && (c.ValidTo == null || c.ValidTo > t)).ToList()
            .OrderBy(c => c.StartedAt ?? 0).ThenBy(c => c.Id, StringComparer.Ordinal)
            .Select(c => HistoryRecorder.ContainerInfo(c, counts.GetValueOrDefault(c.Id))).ToImmutableArray();
        var infos = processes.Select(p => HistoryRecorder.Info(p, withExit: false)).ToImmutableArray();
        var stats = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [new KeyValuePair<string, long>("processes", infos.Length), new KeyValuePair<string, long>("containers", containers.Length)]);
        return new HistoryTree(new HostTree { Host = host, AsOf = at, Processes = infos, Containers = containers, Stats = stats }, null);
    }

    /// <summary>Every process that lived at some moment of [From, To], as last seen in it (matching the filters), newest start first.</summary>
    public List<ProcessLife> Processes(HistoryQuery q)
    {
        using var db = Open();
        var rows = db.GetTable<ProcessVersionRow>().Where(v => v.ValidFrom <= q.To && (v.ValidTo == null || v.ValidTo >= q.From));
        if (q.Host is not null) rows = rows.Where(v => v.Host == q.Host);
        if (q.ContainerId is not null) rows = rows.Where(v => v.Container == q.ContainerId);
        // A life matches when any of its versions in the window does (`sh -c 'rm -rf …'` that then execs something
        // else ran `rm -rf` all the same), and shows as it last matched.
        var lives = rows.ToList()
            .GroupBy(v => (v.Host, v.Pid, v.StartedAt))
            .Select(g => g.Where(v => Matches(q, v)).MaxBy(v => v.ValidFrom))
            .OfType<ProcessVersionRow>()
            .OrderByDescending(v => v.StartedAt).ThenBy(v => v.Host, StringComparer.Ordinal).ThenBy(v => v.Pid)
            .Take(q.Limit).ToList();
        var names = ContainerNames(db, lives.Where(l => l.Container is not null).Select(l => (l.Host, l.Container!)).ToHashSet());
        var result = new List<ProcessLife>(lives.Count);
        foreach (var v in lives)
        {
            // The exit is on the process's last version, which may lie after the window.
            var last = v.ExitedAt is not null || v.ValidTo is null ? v
                : db.GetTable<ProcessVersionRow>().Where(x => x.Host == v.Host && x.Pid == v.Pid && x.StartedAt == v.StartedAt)
                    .OrderByDescending(x => x.ValidFrom).First();
            var exitedAt = last.ExitedAt ?? (last.ValidTo is { } gone && last.ValidTo <= q.To ? gone : (long?)null);
            var info = HistoryRecorder.Info(v, false) with { ExitedAt = exitedAt is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x) : null };
            result.Add(new ProcessLife(v.Host, info, v.Container is { } c ? names.GetValueOrDefault((v.Host, c)) : null, last.ExitCode, last.Signal));
        }
        return result;
    }

    /// <summary>exe: a part of the executable's path or of comm; argv: a part of the arguments joined by single spaces.</summary>
    private static bool Matches(HistoryQuery q, ProcessVersionRow v) =>
        (q.Exe is null || (v.Exe ?? "").Contains(q.Exe, StringComparison.Ordinal) || (v.Comm ?? "").Contains(q.Exe, StringComparison.Ordinal))
        && (q.Argv is null || string.Join(' ', HistoryRecorder.Info(v, false).Argv).Contains(q.Argv, StringComparison.Ordinal));

    private static Dictionary<(string, string), string?> ContainerNames(DataConnection db, HashSet<(string Host, string Id)> keys)
    {
        var result = new Dictionary<(string, string), string?>();
        foreach (var (host, id) in keys)
            result[(host, id)] = db.GetTable<ContainerVersionRow>().Where(c => c.Host == host && c.Id == id && c.Name != null)
                .OrderByDescending(c => c.ValidFrom).Select(c => c.Name).FirstOrDefault();
        return result;
    }

    /// <summary>The process and its ancestors as at <paramref name="at"/>; null when no such process was alive then.</summary>
    public ProcessLineage? Lineage(string host, int pid, DateTimeOffset at)
    {
        using var db = Open();
        var byPid = ProcessesAt(db, host, HistoryRecorder.Ms(at)).ToDictionary(r => r.Pid);
        if (!byPid.TryGetValue(pid, out var self)) return null;
        var ancestors = ImmutableArray.CreateBuilder<ProcessInfo>();
        var seen = new HashSet<int> { pid };
        for (var p = self.Ppid; byPid.TryGetValue(p, out var parent) && seen.Add(p); p = parent.Ppid)
            ancestors.Add(HistoryRecorder.Info(parent, false));
        return new ProcessLineage(host, at, HistoryRecorder.Info(self, false), ancestors.ToImmutable());
    }

    /// <summary>Container ids on a host (or all) matching a key: full id, name, or id prefix (first kind that matches wins).</summary>
    public List<(string Host, string Id)> FindContainers(string key, string? host)
    {
        using var db = Open();
        var name = key.TrimStart('/');
        var all = db.GetTable<ContainerVersionRow>().Where(c => host == null || c.Host == host)
            .Where(c => c.Id == key || c.Name == name || c.Name == "/" + name || c.Id.StartsWith(key.ToLowerInvariant()))
            .Select(c => new { c.Host, c.Id, c.Name }).Distinct().ToList();
        var byId = all.Where(c => c.Id == key).ToList();
        var byName = all.Where(c => c.Name is { } n && n.TrimStart('/') == name).ToList();
        var chosen = byId.Count > 0 ? byId : byName.Count > 0 ? byName : all;
        return chosen.Select(c => (c.Host, c.Id)).Distinct().ToList();
    }

    /// <summary>One <see cref="ContainerLife"/> per host and container matching <paramref name="key"/>.</summary>
    public List<ContainerLife> ContainerLives(string key, string? host)
    {
        var found = FindContainers(key, host);
        using var db = Open();
        var result = new List<ContainerLife>();
        foreach (var (h, id) in found)
        {
            var versions = db.GetTable<ContainerVersionRow>().Where(c => c.Host == h && c.Id == id).OrderBy(c => c.ValidFrom).ToList();
            if (versions.Count == 0) continue;
            var last = versions[^1];
            var stopped = versions.FirstOrDefault(v => v.State is { } s && s != "running" && s != "created")?.ValidFrom
                          ?? (last.ValidTo is { } to ? to : null);
            DateTimeOffset? T(long? ms) => ms is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x) : null;
            result.Add(new ContainerLife(h, id, versions.LastOrDefault(v => v.Name is not null)?.Name, versions.LastOrDefault(v => v.Image is not null)?.Image,
                T(versions[0].ValidFrom), T(versions.FirstOrDefault(v => v.StartedAt is not null)?.StartedAt), T(stopped),
                T(last.Gone ? last.ValidTo : null)));
        }
        return result.OrderBy(r => r.Host, StringComparer.Ordinal).ThenBy(r => r.CreatedAt).ToList();
    }

    // ---- retention ----------------------------------------------------------------------------

    private static readonly string[] Tables = ["godo_process_versions", "godo_container_versions", "godo_history_keyframes", "godo_history_hosts"];

    /// <summary>
    /// Bytes the history's rows and indexes take (SQLite: their pages in the file, freed pages not counted; PostgreSQL:
    /// an estimate of the live rows, see <see cref="PostgresLiveBytes"/>).
    /// </summary>
    public long SizeBytes()
    {
        using var db = Open();
        if (Target.Provider == StorageProvider.Postgres) return Tables.Sum(t => PostgresLiveBytes(db, t));
        try
        {
            return db.Execute<long?>("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'godo\\_%' ESCAPE '\\' OR name LIKE 'sqlite_autoindex_godo\\_%' ESCAPE '\\'") ?? 0;
        }
        catch (Exception)
        {
            // Without the dbstat table: the file's used pages (the journal's included).
            var pages = db.Execute<long>("PRAGMA page_count") - db.Execute<long>("PRAGMA freelist_count");
            return pages * db.Execute<long>("PRAGMA page_size");
        }
    }

    /// <summary>
    /// Deletes what is older than <paramref name="retention"/> before each host's newest event time, then, while the
    /// history is over <paramref name="maxBytes"/>, the oldest closed versions first (on every host). Returns the rows deleted.
    /// Retention counts in each host's event time, so a replayed or late host keeps its recent past whatever the wall clock says.
    /// </summary>
    public long Sweep(TimeSpan retention, long maxBytes)
    {
        long deleted = 0;
        using (var db = Open())
        {
            foreach (var h in db.GetTable<HistoryHostRow>().ToList())
            {
                var cutoff = h.LastAt - (long)retention.TotalMilliseconds;
                if (cutoff <= h.FirstAt) continue;
                deleted += DeleteBefore(db, h.Host, cutoff);
            }
            // Autovacuum may wait a minute or more; until it runs, PostgreSQL cannot reuse what was just deleted.
            if (deleted > 0) Vacuum(db);
        }
        if (Target.Provider == StorageProvider.Postgres)
            using (var db = Open()) db.Execute("ANALYZE " + string.Join(", ", Tables));
        for (var round = 0; round < 100 && SizeBytes() > maxBytes; round++)
        {
            using var db = Open();
            // The oldest closed versions, 5,000 at a time: everything that ended by then goes, on every host.
            var edge = db.GetTable<ProcessVersionRow>().Where(v => v.ValidTo != null).OrderBy(v => v.ValidTo).Skip(5_000).Select(v => v.ValidTo).FirstOrDefault()
                       ?? db.GetTable<ProcessVersionRow>().Where(v => v.ValidTo != null).Max(v => v.ValidTo);
            if (edge is not { } cutoff) break;
            var removed = 0L;
            foreach (var h in db.GetTable<HistoryHostRow>().ToList()) removed += DeleteBefore(db, h.Host, cutoff + 1);
            deleted += removed;
            if (removed == 0) break;
            Vacuum(db);
        }
        return deleted;
    }

    private void Vacuum(DataConnection db)
    {
        if (Target.Provider != StorageProvider.Postgres) return;
        foreach (var t in Tables) db.Execute($"VACUUM (ANALYZE) {t}");
    }

    /// <summary>
    /// A PostgreSQL table's live bytes with its indexes. Its relations keep their size after a delete (VACUUM only makes
    /// the space reusable), so measuring them would find the history over its bytes forever and delete it all: instead
    /// live rows × their size (a sample of 1,000) with the tuple header, × the share of the indexes in the relation.
    /// Live rows: pg_class.reltuples, which VACUUM and ANALYZE set at once (the statistics' n_live_tup lags a second or
    /// more behind a delete, and a sweep that read it deleted everything); the sweep analyzes before it counts.
    /// </summary>
    private static long PostgresLiveBytes(DataConnection db, string table)
    {
        var tuples = db.Execute<double?>($"SELECT reltuples FROM pg_class WHERE relname = '{table}' AND relkind = 'r'");
        // -1: never vacuumed nor analyzed (a new store): nothing deleted yet either, so the relations are all live.
        if (tuples < 0) return db.Execute<long>($"SELECT pg_total_relation_size('{table}')");
        var live = (long)(tuples ?? 0);
        if (live == 0) return 0;
        var rowBytes = db.Execute<double?>($"SELECT AVG(pg_column_size(t.*)) FROM (SELECT * FROM {table} LIMIT 1000) t") ?? 0;
        var (heap, total) = (db.Execute<long>($"SELECT pg_relation_size('{table}')"), db.Execute<long>($"SELECT pg_total_relation_size('{table}')"));
        return (long)(live * (rowBytes + 28) * (heap > 0 ? (double)total / heap : 1));
    }

    /// <summary>Forgets what ended before <paramref name="cutoff"/> on a host; its history then begins there.</summary>
    private static long DeleteBefore(DataConnection db, string host, long cutoff)
    {
        using var tx = db.BeginTransaction();
        long n = db.GetTable<ProcessVersionRow>().Where(v => v.Host == host && v.ValidTo != null && v.ValidTo < cutoff).Delete();
        n += db.GetTable<ContainerVersionRow>().Where(v => v.Host == host && v.ValidTo != null && v.ValidTo < cutoff).Delete();
        // Keyframes before the edge name versions that may be gone; a tree at T past the edge needs none of them.
        n += db.GetTable<KeyframeRow>().Where(k => k.Host == host && k.At < cutoff).Delete();
        db.GetTable<HistoryHostRow>().Where(h => h.Host == host && h.FirstAt < cutoff).Set(h => h.FirstAt, cutoff).Update();
        tx.Commit();
        return n;
    }
}
