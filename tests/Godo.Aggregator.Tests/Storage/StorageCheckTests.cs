using Godo.Aggregator.Storage;
using Microsoft.Data.Sqlite;

namespace Godo.Aggregator.Tests.Storage;

public sealed class StorageCheckTests : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly PostgresDatabase _database;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "godo-check-" + Guid.NewGuid().ToString("N"));

    public StorageCheckTests(PostgresDatabase database) => _database = database;

    [Fact]
    public void A_missing_data_directory_is_created_private_and_the_file_is_in_wal_mode()
    {
        var settings = new StorageSettings { DataDir = Path.Combine(_root, "a", "b") };
        StorageCheck.Verify(settings);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(settings.DataDir));
        using var connection = new SqliteConnection(settings.Target.ConnectionString);
        connection.Open();
        using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", mode.ExecuteScalar());
    }

    [Fact]
    public void A_data_directory_that_cannot_be_made_is_one_line_naming_it()
    {
        Directory.CreateDirectory(_root);
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "not a directory");
        var e = Assert.Throws<AggregatorConfigException>(() => StorageCheck.Verify(new StorageSettings { DataDir = Path.Combine(file, "data") }));
        Assert.Contains($"cannot create the data directory {file}/data", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllText(Path.Combine(_root, StorageSettings.SqliteFileName), new string('x', 4096));
        var e = Assert.Throws<AggregatorConfigException>(() => StorageCheck.Verify(new StorageSettings { DataDir = _root }));
        Assert.StartsWith($"cannot open the store (sqlite {_root}/godo.db)", e.Message);
    }

    [Fact]
    public async Task A_reachable_postgres_passes_and_a_missing_database_is_created()
    {
        StorageCheck.Verify(new StorageSettings { Journal = _database.Url });
        var missing = _database.Name + "_more";
        try
        {
            StorageCheck.Verify(new StorageSettings { Journal = PostgresDatabase.UrlOf(missing) });
            await using var created = new Npgsql.NpgsqlConnection(PostgresUrl.ToConnectionString(PostgresDatabase.UrlOf(missing)));
            await created.OpenAsync();
            StorageCheck.Verify(new StorageSettings { Journal = PostgresDatabase.UrlOf(missing) }); // there now: opened as it is
        }
        finally { await PostgresDatabase.DropAsync(missing); }
    }

    [Fact]
    public void A_wrong_password_is_one_line_without_the_password()
    {
        var url = new UriBuilder(_database.Url) { Password = "not-the-password" }.Uri.ToString();
        var e = Assert.Throws<AggregatorConfigException>(() => StorageCheck.Verify(new StorageSettings { Journal = url }));
        Assert.StartsWith("cannot open the store (postgres Host=", e.Message);
        Assert.Contains(_database.Name, e.Message);
        Assert.DoesNotContain("not-the-password", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task The_aggregator_refuses_a_store_it_cannot_reach_with_exit_2()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        var (code, output, err) = await GodoCli.RunAsync("aggregator", "--journal", "postgres://godo:s3cret@127.0.0.1:1/godo", "--remote-port", "0", "--http", "http://127.0.0.1:0");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot open the store (postgres Host=127.0.0.1;Port=1;Database=godo;Username=godo)", line);
        Assert.DoesNotContain("s3cret", line);
    }

    [Fact]
    public async Task The_store_size_is_the_sqlite_pages_and_wal_or_the_postgres_database()
    {
        var sqlite = new StorageSettings { DataDir = _root };
        StorageCheck.Verify(sqlite);
        var empty = await StoreSize.MeasureAsync(sqlite.Target);
        using (var connection = new SqliteConnection(sqlite.Target.ConnectionString))
        {
            connection.Open();
            using var fill = connection.CreateCommand();
            fill.CommandText = "CREATE TABLE t(b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO t SELECT randomblob(1000) FROM n";
            fill.ExecuteNonQuery();
        }
        var full = await StoreSize.MeasureAsync(sqlite.Target);
        Assert.InRange(full - empty, 1_000_000, 1_500_000);

        var postgres = await StoreSize.MeasureAsync(new StorageSettings { Journal = _database.Url }.Target);
        Assert.InRange(postgres, 1_000_000, 1L << 30); // an empty PostgreSQL database is a few MB of catalogs
    }

    [Fact]
    public void A_member_opens_at_most_a_bounded_pool_of_connections_unless_the_url_says_otherwise()
    {
        Npgsql.NpgsqlConnectionStringBuilder Of(string url) => new(new StorageSettings { Journal = url }.Target.ConnectionString);
        Assert.Equal(PostgresUrl.DefaultPoolSize, Of("postgres://godo:pw@db:5432/godo").MaxPoolSize);
        Assert.Equal(50, Of("postgres://godo:pw@db:5432/godo?Maximum%20Pool%20Size=50").MaxPoolSize);
        Assert.Equal(7, Of("postgres://godo:pw@db:5432/godo?MaxPoolSize=7&sslmode=require").MaxPoolSize);
        Assert.Equal("postgres Host=db;Port=5432;Database=godo;Username=godo", new StorageSettings { Journal = "postgres://godo:pw@db:5432/godo" }.Target.Describe());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
