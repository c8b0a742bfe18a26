// bench/storage.sh --steady: a whole aggregator (AggregatorWeb, as `godo aggregator` runs it) on one store, under the
// steady load of the retention tests (SteadyLoad: hosts sending a delta every 100 ms, processes starting and exiting
// at a constant pace), with a short history retention. Prints the store's size (what godo_store_bytes reports), the
// history's and the journal's rows over time: with retention working, a flat line once the retention has filled.
using System.Data.Common;
using System.Diagnostics;
using Akka.Actor;
using Godo.Aggregator;
using Godo.Aggregator.Hosting;
using Godo.Aggregator.Storage;
using Godo.Aggregator.Tests.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

static class SteadyBench
{
    public static async Task RunAsync(StorageSettings storage, TimeSpan duration, TimeSpan every, int hosts, TextWriter results)
    {
        var label = storage.Journal is null ? "sqlite" : "postgres";
        var app = AggregatorWeb.Build(new AggregatorSettings
        {
            RemoteHost = "127.0.0.1", RemotePort = 0, HttpUrl = "http://127.0.0.1:0", Storage = storage,
            StaleAfter = TimeSpan.FromHours(1), DownAfter = TimeSpan.FromHours(2),
        }, configureWeb: b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        var load = new SteadyLoad(app.Services.GetRequiredService<ActorSystem>(), hosts);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var next = every; next <= duration; next += every)
        {
            if (next > clock.Elapsed) await Task.Delay(next - clock.Elapsed);
            results.WriteLine(string.Join('\t', label, $"{clock.Elapsed.TotalSeconds:0}", load.Deltas,
                await StoreSize.MeasureAsync(storage.Target), await CountAsync(storage.Target, "godo_process_versions"),
                await CountAsync(storage.Target, "journal"), await CountAsync(storage.Target, "snapshot"),
                $"{(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0}"));
            await results.FlushAsync();
        }
        stop.Cancel();
        await running;
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>The table's rows; -1 before its plugin made it.</summary>
    private static async Task<long> CountAsync(StorageTarget target, string table)
    {
        try { return await CountRowsAsync(target, table); }
        catch (DbException) { return -1; }
    }

    private static async Task<long> CountRowsAsync(StorageTarget target, string table)
    {
        await using DbConnection c = target.Provider == StorageProvider.Postgres ? new NpgsqlConnection(target.ConnectionString) : new SqliteConnection(target.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {table}";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
