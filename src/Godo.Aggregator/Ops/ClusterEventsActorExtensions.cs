using Akka.Hosting;

namespace Godo.Aggregator.Ops;

public static class ClusterEventsActorExtensions
{
    public const string ActorName = "cluster-events";

    /// <summary>Starts the actor that feeds `godo cluster tail` (its broadcaster from the services) and registers it under <see cref="ClusterEventsActor"/>.</summary>
    public static AkkaConfigurationBuilder AddClusterEventsActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
            registry.Register<ClusterEventsActor>(system.ActorOf(resolver.Props<ClusterEventsActor>(), ActorName)));
}
