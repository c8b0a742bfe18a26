using System.Text;

namespace Godo.Aggregator.Storage;

/// <summary>The database a store speaks to.</summary>
public enum StorageProvider { Sqlite, Postgres }

/// <summary>Where the journal, the snapshots and the history live: a provider and its ADO.NET connection string.</summary>
public sealed record StorageTarget(StorageProvider Provider, string ConnectionString)
{
    /// <summary>What a log line may say about it: the connection without its password.</summary>
    public string Describe() => Provider == StorageProvider.Sqlite
        ? $"sqlite {ConnectionString.Replace("Data Source=", "", StringComparison.Ordinal).Split(';')[0]}"
        : "postgres " + string.Join(';', ConnectionString.Split(';').Where(p =>
            !p.StartsWith("Password=", StringComparison.OrdinalIgnoreCase) && !p.StartsWith(PostgresUrl.PoolKey + "=", StringComparison.Ordinal)));
}

/// <summary>
/// The aggregator's durable memory: a SQLite file under <see cref="DataDir"/> unless <see cref="Journal"/> names a
/// shared PostgreSQL (a cluster needs one store that every member reaches, so a host can move and recover anywhere).
/// </summary>
public sealed record StorageSettings
{
    public const string SqliteFileName = "godo.db";

    /// <summary>Directory of the embedded SQLite store (standalone, or a single aggregator).</summary>
    public string DataDir { get; init; } = "/var/lib/godo";
    /// <summary>postgres://user:password@host:port/database[?sslmode=...]; null: SQLite under <see cref="DataDir"/>.</summary>
    public string? Journal { get; init; }
    /// <summary>How long history (events, snapshots, exited processes) is kept.</summary>
    public TimeSpan HistoryRetention { get; init; } = TimeSpan.FromDays(7);
    /// <summary>Bytes the history may take; past it the oldest goes first, whatever its age.</summary>
    public long HistoryBytes { get; init; } = 10L << 30;
    /// <summary>
    /// How long the history's rows gather before one write. Longer means fewer, larger transactions, and more of the
    /// newest history only in the journal if the member dies (a recovering entity dates it from there).
    /// </summary>
    public TimeSpan HistoryFlushInterval { get; init; } = new History.HistoryOptions().FlushInterval;

    public StorageTarget Target => Journal is null
        ? new StorageTarget(StorageProvider.Sqlite, $"Data Source={Path.Combine(DataDir, SqliteFileName)};Pooling=True")
        : new StorageTarget(StorageProvider.Postgres, PostgresUrl.ToConnectionString(Journal));
}

/// <summary>postgres://user:password@host:port/database?key=value → an Npgsql connection string.</summary>
public static class PostgresUrl
{
    /// <summary>Connections one member opens to the store at most, unless the URL says otherwise: 3 members stay well under PostgreSQL's 100.</summary>
    public const int DefaultPoolSize = 20;
    internal const string PoolKey = "Maximum Pool Size";

    /// <summary>The connection string; a malformed URL is a one-line <see cref="FormatException"/>.</summary>
    public static string ToConnectionString(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new FormatException($"bad journal '{Redact(url)}': give postgres://USER:PASSWORD@HOST:PORT/DATABASE");
        var db = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (db.Length == 0 || uri.Host.Length == 0)
            throw new FormatException($"bad journal '{Redact(url)}': it needs a host and a database (postgres://USER:PASSWORD@HOST:PORT/DATABASE)");
        var b = new StringBuilder();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) b.Append(key).Append('=').Append(Quote(value)).Append(';'); }
        Add("Host", uri.Host);
        Add("Port", uri.IsDefaultPort || uri.Port < 0 ? "5432" : uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("Database", db);
        var userInfo = uri.UserInfo.Split(':', 2);
        Add("Username", Uri.UnescapeDataString(userInfo[0]));
        if (userInfo.Length == 2) Add("Password", Uri.UnescapeDataString(userInfo[1]));
        var pooled = false;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]) switch { "sslmode" => "SSL Mode", var k => k };
            pooled |= key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant() is "maximumpoolsize" or "maxpoolsize";
            Add(key, kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true");
        }
        // Npgsql's default pool (100) is PostgreSQL's default max_connections: one member recovering a few hundred host
        // entities at once took every slot, and the writes that found none failed and stopped their entities. Bounded,
        // they wait for a connection instead; the URL may set its own (?Maximum Pool Size=N).
        if (!pooled) Add(PoolKey, DefaultPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return b.ToString().TrimEnd(';');
    }

    /// <summary>The URL without its password, for messages.</summary>
    public static string Redact(string url) =>
        System.Text.RegularExpressions.Regex.Replace(url, "(//[^:/@]*):[^@/]*@", "$1:***@");

    private static string Quote(string v) => v.IndexOfAny([';', '=', '"', '\'', ' ']) >= 0 ? "'" + v.Replace("'", "''") + "'" : v;
}
