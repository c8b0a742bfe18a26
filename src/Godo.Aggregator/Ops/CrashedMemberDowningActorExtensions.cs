using Akka.Actor;
using Akka.Hosting;

namespace Godo.Aggregator.Ops;

public static class CrashedMemberDowningActorExtensions
{
    public const string ActorName = "crashed-member-downing";

    /// <summary>Starts the actor that downs members whose process is gone (<see cref="CrashedMemberDowningActor"/>), when <paramref name="enabled"/>.</summary>
    public static AkkaConfigurationBuilder AddCrashedMemberDowning(this AkkaConfigurationBuilder builder, bool enabled) =>
        !enabled ? builder : builder
            .AddHocon($"akka.cluster.failure-detector.implementation-class = \"{typeof(CrashedMemberFailureDetector).FullName}, {typeof(CrashedMemberFailureDetector).Assembly.GetName().Name}\"", HoconAddMode.Prepend)
            .WithActors((system, registry) =>
                registry.Register<CrashedMemberDowningActor>(system.ActorOf(Props.Create(() => new CrashedMemberDowningActor()), ActorName)));
}
