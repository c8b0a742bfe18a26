using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Godo.Aggregator.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Godo.Aggregator.Tests.Storage;

/// <summary>The start-up write check against a real SQLite store: it passes and leaves nothing, or says the store refuses writes.</summary>
public sealed class StoreWriteCheckTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godo-check-" + Guid.NewGuid().ToString("N"));
    private StorageSettings Storage => new() { DataDir = _dir };

    [Fact]
    public async Task A_sound_store_takes_the_write_and_keeps_nothing_of_it()
    {
        var (errors, stopped) = await RunCheckAsync("127.0.0.1:1");
        Assert.True(stopped, "the check did not finish");
        Assert.Empty(errors);
        using var db = Open();
        Assert.Equal(0L, Scalar(db, "SELECT COUNT(*) FROM snapshot WHERE persistence_id = 'store-check-127.0.0.1:1'"));
        // The journal keeps its highest row, marked deleted, so the sequence never restarts: nothing live is left.
        Assert.Equal(0L, Scalar(db, "SELECT COUNT(*) FROM journal WHERE persistence_id = 'store-check-127.0.0.1:1' AND deleted = 0"));
        Assert.Equal(1L, Scalar(db, "SELECT COUNT(*) FROM journal WHERE persistence_id = 'store-check-127.0.0.1:1'"));
    }

    [Fact]
    public async Task A_store_that_refuses_snapshots_is_one_error_at_start()
    {
        await RunCheckAsync("127.0.0.1:2"); // creates the tables
        using (var db = Open())
        using (var refuse = db.CreateCommand())
        {
            refuse.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON snapshot BEGIN SELECT RAISE(ABORT, 'no snapshots here'); END";
            refuse.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var (errors, stopped) = await RunCheckAsync("127.0.0.1:2");
        Assert.True(stopped, "the check did not stop");
        var error = Assert.Single(errors);
        Assert.Contains("refused to save a snapshot", error);
        Assert.Contains("no snapshots here", error);
    }

    private async Task<(List<string> Errors, bool Stopped)> RunCheckAsync(string member)
    {
        StorageCheck.Verify(Storage);
        using var host = new HostBuilder()
            .ConfigureServices(s => s.AddAkka("godo-check-test", b => b.WithGodoPersistence(Storage)))
            .Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var errors = new ConcurrentQueue<string>();
        var listener = system.ActorOf(Props.Create(() => new ErrorListener(errors)));
        system.EventStream.Subscribe(listener, typeof(Error));
        var check = system.ActorOf(Props.Create(() => new StoreWriteCheck(member)));
        var stopped = await check.WatchAsync().WaitAsync(Wait).ContinueWith(t => t.IsCompletedSuccessfully);
        await Task.Delay(200); // the error is published before the stop; let the listener take it
        await host.StopAsync();
        SqliteConnection.ClearAllPools();
        return ([.. errors.Where(e => e.Contains("store"))], stopped);
    }

    private SqliteConnection Open()
    {
        var db = new SqliteConnection($"Data Source={Path.Combine(_dir, "godo.db")}");
        db.Open();
        return db;
    }

    private static long Scalar(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        return (long)c.ExecuteScalar()!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private sealed class ErrorListener : ReceiveActor
    {
        public ErrorListener(ConcurrentQueue<string> errors) => Receive<Error>(e => errors.Enqueue(e.Message?.ToString() ?? ""));
    }
}
