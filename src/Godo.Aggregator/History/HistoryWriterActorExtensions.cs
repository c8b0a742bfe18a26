using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Godo.Aggregator.History;

public static class HistoryWriterActorExtensions
{
    public const string Name = "history";

    /// <summary>Starts <c>/user/history</c> on the store from the services, registers it, and attaches it to the <see cref="HistoryTap"/> ingest tells.</summary>
    public static AkkaConfigurationBuilder AddHistoryWriter(this AkkaConfigurationBuilder builder, HistoryOptions options) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var store = resolver.GetService<HistoryStore>();
            var writer = system.ActorOf(HistoryWriterActor.Props(store, options), Name);
            registry.Register<HistoryWriterActor>(writer);
            resolver.GetService<HistoryTap>().Attach(writer);
        });

    /// <summary>The history's settings from the storage settings.</summary>
    public static HistoryOptions HistoryOptions(this Storage.StorageSettings storage) =>
        new()
        {
            Retention = storage.HistoryRetention, MaxBytes = storage.HistoryBytes, FlushInterval = storage.HistoryFlushInterval,
            // A short retention is kept about as short: swept four times within it (at most once a second).
            SweepEvery = TimeSpan.FromTicks(Math.Clamp(storage.HistoryRetention.Ticks / 4, TimeSpan.TicksPerSecond, new HistoryOptions().SweepEvery.Ticks)),
        };
}
