using Akka.Actor;
using Akka.Hosting;

namespace Godo.Aggregator.Storage;

public static class StoreWriteCheckExtensions
{
    public const string ActorName = "store-write-check";

    /// <summary>Starts <see cref="StoreWriteCheck"/>: one write and delete through the journal and snapshot store, then it stops.</summary>
    public static AkkaConfigurationBuilder AddStoreWriteCheck(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, _) =>
        {
            var self = ((ExtendedActorSystem)system).Provider.DefaultAddress;
            system.ActorOf(Props.Create(() => new StoreWriteCheck($"{self.Host}:{self.Port}")), ActorName);
        });
}
