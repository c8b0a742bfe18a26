using Godo.Aggregator.Storage;
using Npgsql;

namespace Godo.Aggregator.Tests.Hosts;

/// <summary>
/// A fresh PostgreSQL database (a random name) on the server scripts/setup.sh starts (role godo, CREATEDB), dropped
/// afterwards; GODO_TEST_POSTGRES overrides the server (postgres://USER:PASSWORD@HOST:PORT). The same rules as the
/// journal part's tests/Shared/PostgresDatabase.cs, which replaces it once merged.
/// </summary>
public sealed class SharedPostgres : IAsyncLifetime
{
    private static string Server => (Environment.GetEnvironmentVariable("GODO_TEST_POSTGRES") is { Length: > 0 } s ? s : "postgres://godo:godo-test@localhost:5432").TrimEnd('/');

    public string Name { get; } = "godo_test_" + Guid.NewGuid().ToString("N")[..12];
    public string Url => $"{Server}/{Name}";

    public async Task InitializeAsync()
    {
        await using var c = await OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", c);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var c = await OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", c);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenAsync()
    {
        var c = new NpgsqlConnection(PostgresUrl.ToConnectionString($"{Server}/postgres"));
        try { await c.OpenAsync(); }
        catch (Exception e)
        {
            await c.DisposeAsync();
            throw new InvalidOperationException($"PostgreSQL for the tests is not reachable at {PostgresUrl.Redact(Server)} (run scripts/setup.sh): {e.Message}", e);
        }
        return c;
    }
}
