using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Pipeline;

namespace Godo.Agent.Tree;

public static class ProcessTreeActorExtensions
{
    public const string ActorName = "process-tree";
    /// <summary>The tree's own thread (hocon/agent.conf, <see cref="TreeThreadExecutor"/>).</summary>
    public const string Dispatcher = "godo.agent.tree-dispatcher";

    /// <summary>Starts the host's tree actor on its own dispatcher and registers it under <see cref="ProcessTreeActor"/>.</summary>
    public static AkkaConfigurationBuilder AddProcessTreeActor(this AkkaConfigurationBuilder builder, TreeActorSettings settings, PipelineStats stats) =>
        builder.WithActors((system, registry) =>
        {
            var props = ProcessTreeActor.Props(settings, stats).WithDispatcher(Dispatcher);
            registry.Register<ProcessTreeActor>(system.ActorOf(props, ActorName));
        });
}
