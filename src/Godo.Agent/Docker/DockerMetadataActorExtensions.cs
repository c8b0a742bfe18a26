using Akka.Hosting;
using Godo.Agent.Tree;

namespace Godo.Agent.Docker;

public static class DockerMetadataActorExtensions
{
    public const string ActorName = "docker-metadata";

    public static AkkaConfigurationBuilder AddDockerMetadata(this AkkaConfigurationBuilder builder, DockerMetadataClientOptions options) =>
        builder.WithActors((system, registry) =>
            registry.Register<DockerMetadataActor>(system.ActorOf(DockerMetadataActor.Props(registry.Get<ProcessTreeActor>(), options), ActorName)));
}
