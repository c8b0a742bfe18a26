using Godo.Aggregator.Storage;
using Npgsql;

namespace Godo.Tests.Shared;

/// <summary>
/// A fresh PostgreSQL database for one test class (a random name), dropped afterwards, on the cluster that
/// scripts/setup.sh starts with its role godo (CREATEDB). GODO_TEST_POSTGRES overrides the server:
/// postgres://USER:PASSWORD@HOST:PORT (the database part, if any, is replaced).
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string DefaultServer = "postgres://godo:godo-test@localhost:5432";

    public static string Server => (Environment.GetEnvironmentVariable("GODO_TEST_POSTGRES") is { Length: > 0 } s ? s : DefaultServer).TrimEnd('/');

    public string Name { get; } = "godo_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The database as `--journal` takes it.</summary>
    public string Url => UrlOf(Name);

    /// <summary>The database as Npgsql takes it.</summary>
    public string ConnectionString => PostgresUrl.ToConnectionString(Url);

    public async Task InitializeAsync()
    {
        await using var connection = await OpenMaintenanceAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", connection);
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => DropAsync(Name);

    /// <summary>Drops <paramref name="name"/> if it exists, with whatever is still connected to it.</summary>
    public static async Task DropAsync(string name)
    {
        // The pools of this process still hold connections to it; FORCE ends those of anyone else (a killed node's).
        NpgsqlConnection.ClearAllPools();
        await using var connection = await OpenMaintenanceAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>The URL of another database on the same server (for a test that needs a second one).</summary>
    public static string UrlOf(string database)
    {
        var server = new Uri(Server);
        return $"{server.Scheme}://{server.UserInfo}@{server.Authority}/{database}";
    }

    private static async Task<NpgsqlConnection> OpenMaintenanceAsync()
    {
        var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(UrlOf("postgres")));
        try { await connection.OpenAsync(); }
        catch (Exception e)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"PostgreSQL for the tests is not reachable at {PostgresUrl.Redact(Server)} (run scripts/setup.sh): {e.Message}", e);
        }
        return connection;
    }
}
