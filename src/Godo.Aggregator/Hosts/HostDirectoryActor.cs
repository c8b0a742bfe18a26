using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Godo.Aggregator.Fleet;
using Godo.Messages;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Hosts;

/// <summary>
/// `/user/host-directory` on every aggregator: takes the host entities' entries into this member's
/// <see cref="HostDirectory"/>, and their fleet events into this member's <see cref="FleetFeed"/> (the event streams).
/// </summary>
public sealed class HostDirectoryActor : ReceiveActor
{
    public HostDirectoryActor(HostDirectory directory, FleetFeed feed)
    {
        Receive<HostDirectoryEntry>(directory.Put);
        Receive<FleetEventBatch>(b =>
        {
            foreach (var e in b.Events) feed.Publish(e);
        });
        Receive<SubscribeAck>(_ => { });
    }

    protected override void PreStart()
    {
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        mediator.Tell(new Subscribe(GodoConstants.HostDirectoryTopic, Self));
        mediator.Tell(new Subscribe(GodoConstants.FleetEventsTopic, Self));
    }
}
