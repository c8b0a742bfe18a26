using Microsoft.Data.Sqlite;
using Npgsql;

namespace Godo.Aggregator.Storage;

/// <summary>
/// Opens the store once before the aggregator starts, so a wrong --data or --journal is one line at start (exit 2)
/// rather than a journal that fails its first write minutes later.
/// </summary>
public static class StorageCheck
{
    /// <summary>
    /// How long a start waits for PostgreSQL before refusing: Npgsql's default. 5 s refused sound stores when three
    /// members started at once on a loaded machine (load 30-50: the bench and the 3-process test).
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// SQLite: creates DataDir (0700) when missing and switches the file to WAL (it stays so: readers then never
    /// block the journal's writer). PostgreSQL: connects, and creates the database when the role may and it is
    /// missing. Throws <see cref="AggregatorConfigException"/> naming the target without its password.
    /// </summary>
    public static void Verify(StorageSettings settings)
    {
        StorageTarget target;
        try { target = settings.Target; }
        catch (FormatException e) { throw new AggregatorConfigException(e.Message); }
        try
        {
            if (target.Provider == StorageProvider.Sqlite) OpenSqlite(settings.DataDir, target.ConnectionString);
            else OpenPostgres(target.ConnectionString);
        }
        catch (Exception e) when (e is not AggregatorConfigException)
        {
            throw new AggregatorConfigException($"cannot open the store ({target.Describe()}): {OneLine(e.Message)}");
        }
    }

    private static void OpenSqlite(string dataDir, string connectionString)
    {
        if (!Directory.Exists(dataDir))
        {
            try
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dataDir);
                else Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AggregatorConfigException($"cannot create the data directory {dataDir}: {OneLine(e.Message)} (choose another with --data)");
            }
        }
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL";
        var mode = wal.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"it refuses WAL mode (journal_mode is {mode})");
    }

    private static void OpenPostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = (int)ConnectTimeout.TotalSeconds };
        try
        {
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            CreateDatabase(builder);
        }
    }

    // A role with CREATEDB gets its database on first start, like the SQLite file; others see the server's refusal.
    private static void CreateDatabase(NpgsqlConnectionStringBuilder target)
    {
        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        using (var connection = new NpgsqlConnection(maintenance.ConnectionString))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = $"CREATE DATABASE \"{target.Database!.Replace("\"", "\"\"")}\"";
            try { create.ExecuteNonQuery(); }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase) { } // another member was first
        }
        using var again = new NpgsqlConnection(target.ConnectionString);
        again.Open();
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}
