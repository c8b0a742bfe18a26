using Akka.Hosting;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;

namespace Godo.Agent.Assembly;

public static class SerialRouterActorExtensions
{
    public const string ActorName = "serial-router";

    /// <summary>
    /// Starts the router (and, lazily, its pool of assemblers) in front of the tree actor; on <paramref name="dispatcher"/>
    /// when given (the assemblers run on the router's dispatcher), otherwise on the default one.
    /// </summary>
    public static AkkaConfigurationBuilder AddSerialRouter(this AkkaConfigurationBuilder builder, AssemblyOptions options, PipelineStats stats,
        TimeSpan? tick = null, string? dispatcher = null) =>
        builder.WithActors((system, registry) =>
        {
            var tree = registry.Get<ProcessTreeActor>();
            var props = SerialRouterActor.Props(options, tree, stats, tick);
            if (dispatcher is not null) props = props.WithDispatcher(dispatcher);
            registry.Register<SerialRouterActor>(system.ActorOf(props, ActorName));
        });
}
