using Godo.Aggregator.Ops;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Godo.Aggregator.Storage;

/// <summary>
/// Measures the store every <see cref="Interval"/> (not on each scrape: a query to a shared PostgreSQL) and exposes
/// it as the gauge <c>godo_store_bytes</c> and as <see cref="Bytes"/> for whoever enforces the byte budget.
/// </summary>
public sealed class StoreSizeSampler(StorageSettings settings, AggregatorMetrics metrics, ILogger<StoreSizeSampler> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private readonly Gauge _gauge = Metrics.WithCustomRegistry(metrics.Registry)
        .CreateGauge("godo_store_bytes", "Bytes the store takes: the SQLite database's pages, or the PostgreSQL database.");
    private bool _failing;

    /// <summary>The last measure; null before the first, or while the store does not answer.</summary>
    public long? Bytes { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                Bytes = await StoreSize.MeasureAsync(settings.Target, stoppingToken);
                _gauge.Set(Bytes.Value);
                if (_failing) log.LogInformation("the store answers again ({Store})", settings.Target.Describe());
                _failing = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Bytes = null;
                if (!_failing) log.LogWarning("cannot measure the store ({Store}): {Error}", settings.Target.Describe(), e.Message);
                _failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

public static class StoreSizeSamplerExtensions
{
    /// <summary>The sampler as a singleton (for the byte budget) and a hosted service (for the gauge).</summary>
    public static IServiceCollection AddStoreSizeSampler(this IServiceCollection services, StorageSettings settings) => services
        .AddSingleton(sp => new StoreSizeSampler(settings, sp.GetRequiredService<AggregatorMetrics>(), sp.GetRequiredService<ILogger<StoreSizeSampler>>()))
        .AddHostedService(sp => sp.GetRequiredService<StoreSizeSampler>());
}
