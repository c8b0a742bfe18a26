using Akka.Hosting;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;

namespace Godo.Agent.Assembly;

public static class SerialRouterActorExtensions
{
    public const string ActorName = "serial-router";

    /// <summary>Starts the router (and, lazily, its pool of assemblers) in front of the tree actor.</summary>
    public static AkkaConfigurationBuilder AddSerialRouter(this AkkaConfigurationBuilder builder, AssemblyOptions options, PipelineStats stats, TimeSpan? tick = null) =>
        builder.WithActors((system, registry) =>
        {
            var tree = registry.Get<ProcessTreeActor>();
            registry.Register<SerialRouterActor>(system.ActorOf(SerialRouterActor.Props(options, tree, stats, tick), ActorName));
        });
}
