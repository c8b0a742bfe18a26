using Akka.Actor;
using Akka.Cluster;
using Godo.Messages.Api;
using static Akka.Cluster.ClusterEvent;

namespace Godo.Aggregator.Ops;

/// <summary>Feeds `GET /api/cluster/events` (`godo cluster tail`): membership, reachability and leader changes seen here.</summary>
public sealed class ClusterEventsActor : ReceiveActor
{
    public ClusterEventsActor(Broadcaster<ClusterEventInfo> events)
    {
        void Emit(string kind, Member? m, string? address = null) =>
            events.Publish(new ClusterEventInfo(kind, address ?? m!.Address.ToString(), m?.Roles.ToList() ?? [],
                m?.Status.ToString().ToLowerInvariant(), DateTimeOffset.UtcNow));

        Receive<MemberJoined>(e => Emit("member-joined", e.Member));
        Receive<MemberUp>(e => Emit("member-up", e.Member));
        Receive<MemberWeaklyUp>(e => Emit("member-weakly-up", e.Member));
        Receive<MemberLeft>(e => Emit("member-left", e.Member));
        Receive<MemberExited>(e => Emit("member-exited", e.Member));
        Receive<MemberDowned>(e => Emit("member-downed", e.Member));
        Receive<MemberRemoved>(e => Emit("member-removed", e.Member));
        Receive<UnreachableMember>(e => Emit("unreachable", e.Member));
        Receive<ReachableMember>(e => Emit("reachable", e.Member));
        Receive<LeaderChanged>(e => Emit("leader-changed", null, e.Leader?.ToString() ?? ""));
        ReceiveAny(_ => { });
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(IMemberEvent), typeof(IReachabilityEvent), typeof(LeaderChanged));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
