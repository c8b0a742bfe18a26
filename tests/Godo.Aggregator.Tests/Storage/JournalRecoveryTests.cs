using Akka.Actor;
using Akka.Hosting;
using Godo.Aggregator.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Godo.Aggregator.Tests.Storage;

/// <summary>
/// The real journal and snapshot store, as the aggregator configures them: what an actor persisted and snapshotted
/// in one ActorSystem is what a new ActorSystem on the same store recovers.
/// </summary>
public abstract class JournalRecoveryTests
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    protected abstract StorageSettings Storage { get; }

    [Fact]
    public async Task Events_and_a_snapshot_survive_a_new_actor_system()
    {
        var id = "tally-" + Guid.NewGuid().ToString("N");
        using (var host = await StartAsync())
        {
            var tally = host.Services.GetRequiredService<ActorSystem>().ActorOf(TallyActor.Props(id));
            await tally.Ask<TallyActor.Done>(new TallyActor.Count([.. Enumerable.Range(1, 30)]), AskTimeout);
            await tally.Ask<TallyActor.Done>(new TallyActor.RecordDelta(TallyActor.SampleDelta(1)), AskTimeout);
            var snapshot = await tally.Ask<TallyActor.Done>(new TallyActor.Snapshot(), AskTimeout);
            Assert.Equal(31, snapshot.SequenceNr);
            await tally.Ask<TallyActor.Done>(new TallyActor.Count([.. Enumerable.Range(31, 20)]), AskTimeout);
            var last = await tally.Ask<TallyActor.Done>(new TallyActor.RecordDelta(TallyActor.SampleDelta(2)), AskTimeout);
            Assert.Equal(52, last.SequenceNr);
            await host.StopAsync();
        }

        using (var host = await StartAsync())
        {
            var tally = host.Services.GetRequiredService<ActorSystem>().ActorOf(TallyActor.Props(id));
            var recovery = await tally.Ask<TallyActor.Recovery>(new TallyActor.Report(), AskTimeout);
            Assert.Equal(Enumerable.Range(1, 50), recovery.Tally.Values);
            Assert.Equal(2, recovery.Tally.Deltas);
            Assert.Equal(31, recovery.SnapshotAt);
            Assert.Equal(21, recovery.Replayed); // 20 numbers and 1 delta after the snapshot, nothing before it
            Assert.Equal(52, recovery.LastSequenceNr);
            await host.StopAsync();
        }
    }

    private async Task<IHost> StartAsync()
    {
        StorageCheck.Verify(Storage);
        var host = new HostBuilder()
            .ConfigureServices(s => s.AddAkka("godo-storage-test", b => b.WithGodoPersistence(Storage)))
            .Build();
        await host.StartAsync();
        return host;
    }
}

public sealed class SqliteJournalRecoveryTests : JournalRecoveryTests, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godo-journal-" + Guid.NewGuid().ToString("N"));

    protected override StorageSettings Storage => new() { DataDir = _dir };

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

public sealed class PostgresJournalRecoveryTests(PostgresDatabase database) : JournalRecoveryTests, IClassFixture<PostgresDatabase>
{
    protected override StorageSettings Storage => new() { Journal = database.Url };
}
