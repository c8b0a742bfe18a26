using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Godo.Messages;

namespace Godo.Aggregator.Ingest;

public static class AgentIngestActorExtensions
{
    /// <summary>
    /// Starts <c>/user/agent-ingest</c> with the fleet state and feeds from the services, registers it under
    /// <see cref="AgentIngestActor"/> and with the ClusterClient receptionist, where agents find it.
    /// </summary>
    public static AkkaConfigurationBuilder AddAgentIngestActor(this AkkaConfigurationBuilder builder, TimeSpan sweepInterval) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var ingest = system.ActorOf(resolver.Props<AgentIngestActor>(sweepInterval), GodoConstants.AgentIngestName);
            registry.Register<AgentIngestActor>(ingest);
            ClusterClientReceptionist.Get(system).RegisterService(ingest);
        });
}
