using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Godo.Aggregator.Storage;

/// <summary>
/// PostgreSQL only: VACUUMs the journal and the snapshot store every <see cref="Interval"/>, so the rows the host
/// entities delete after each snapshot are reused at once and the tables stay flat. Autovacuum alone visits a database
/// once a minute at best, later on a server shared by many databases, and meanwhile the journal, whose whole content
/// turns over every few hundred events per host, grew without bound under steady load (34 MB in 4 minutes for 914 live
/// rows, bench/storage.sh --steady). SKIP_LOCKED: a member finding another one vacuuming leaves it to it. SQLite reuses
/// freed pages by itself.
/// </summary>
public sealed class StoreVacuum(StorageSettings settings, ILogger<StoreVacuum> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>The tables WithGodoPersistence has Akka.Persistence.Sql create (its default names).</summary>
    public const string Tables = "journal, snapshot";

    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Target.Provider != StorageProvider.Postgres) return;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await using var connection = new NpgsqlConnection(settings.Target.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                await using var vacuum = new NpgsqlCommand($"VACUUM (SKIP_LOCKED) {Tables}", connection) { CommandTimeout = 300 };
                await vacuum.ExecuteNonQueryAsync(stoppingToken);
                _failing = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Before the plugins made the tables, or while the store is away: the next round tries again.
                if (!_failing) log.LogWarning("cannot vacuum the journal ({Store}): {Error}", settings.Target.Describe(), e.Message);
                _failing = true;
            }
        }
    }
}

public static class StoreVacuumExtensions
{
    public static IServiceCollection AddStoreVacuum(this IServiceCollection services, StorageSettings settings) =>
        services.AddHostedService(sp => new StoreVacuum(settings, sp.GetRequiredService<ILogger<StoreVacuum>>()));
}
