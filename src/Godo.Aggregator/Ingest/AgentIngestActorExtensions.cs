using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Godo.Aggregator.Hosts;
using Godo.Messages;

namespace Godo.Aggregator.Ingest;

public static class AgentIngestActorExtensions
{
    /// <summary>
    /// Starts <c>/user/agent-ingest</c> in front of the host entities' region (<see cref="HostShardingExtensions.AddHostShards"/>
    /// first), registers it under <see cref="AgentIngestActor"/> and with the ClusterClient receptionist, where agents find it.
    /// </summary>
    public static AkkaConfigurationBuilder AddAgentIngestActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var ingest = system.ActorOf(resolver.Props<AgentIngestActor>(registry.Get<HostRegion>()), GodoConstants.AgentIngestName);
            registry.Register<AgentIngestActor>(ingest);
            ClusterClientReceptionist.Get(system).RegisterService(ingest);
        });
}
