using Godo.Aggregator.Fleet;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.Ingest;
using Godo.Aggregator.Ops;
using Godo.Aggregator.Storage;
using Godo.Messages.Api;
using Godo.Messages.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace Godo.Aggregator.Hosting;

public static class AggregatorServices
{
    /// <summary>
    /// What the aggregator's actors and its HTTP endpoints share, one of each per host: the settings, the fleet, its
    /// metrics, the two event feeds and the ClusterClients connected here. The ingest actor writes; requests read.
    /// </summary>
    public static IServiceCollection AddAggregatorState(this IServiceCollection services, AggregatorSettings settings) => services
        .AddSingleton(settings)
        .AddSingleton(new HostDirectory())
        .AddSingleton(new HostsHeld())
        .AddSingleton(new FleetFeed(settings.Feed))
        .AddSingleton(sp => new AggregatorMetrics(sp.GetRequiredService<HostDirectory>(), sp.GetRequiredService<FleetFeed>(), sp.GetRequiredService<HostsHeld>()))
        .AddSingleton(new Broadcaster<ClusterEventInfo>(settings.Feed.ClientBytes, _ => 512))
        .AddSingleton(new ConnectedClients())
        .AddSingleton(_ => new History.HistoryStore(settings.Storage.Target, settings.Storage.DataDir))
        .AddSingleton(new History.HistoryTap())
        .AddSingleton(new CriticalActors())
        .AddStoreSizeSampler(settings.Storage)
        .AddStoreVacuum(settings.Storage);
}
