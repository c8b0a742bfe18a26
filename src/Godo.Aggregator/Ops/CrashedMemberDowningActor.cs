using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

namespace Godo.Aggregator.Ops;

/// <summary>
/// Downs a member whose process is gone (killed, crashed) as soon as its link drops, rather than once the failure
/// detector and the split-brain resolver agree ~6-9 s later: a kill -9 closes its sockets, so its remoting port refuses
/// connections at once, which a partition never does (see <see cref="CrashedMembers"/>). Its shards and the shard
/// coordinator start elsewhere that much sooner. Any other outcome leaves the member to the resolver.
/// </summary>
public sealed class CrashedMemberDowningActor : ReceiveActor, IWithTimers
{
    /// <summary>Two refusals this far apart: one lost SYN-ACK race is not a dead process.</summary>
    public static readonly TimeSpan ProbeAgainAfter = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private sealed record Probed(Address Member, PortProbe Outcome, int Attempt);
    private sealed record ProbeAgain(Address Member, int Attempt);

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<Address> _probing = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public CrashedMemberDowningActor()
    {
        Receive<DisassociatedEvent>(e => Suspect(e.RemoteAddress));
        Receive<AssociationErrorEvent>(e => Suspect(e.RemoteAddress));
        Receive<ClusterEvent.UnreachableMember>(e => Suspect(e.Member.Address));
        Receive<ProbeAgain>(p => Probe(p.Member, p.Attempt));
        Receive<Probed>(OnProbed);
        ReceiveAny(_ => { });
    }

    /// <summary>Lost its link (or unreachable): probe its port, unless already at it or the resolver would keep it anyway.</summary>
    private void Suspect(Address member)
    {
        if (member.Host is null || member.Port is null || _probing.Contains(member) || !MayDown(member)) return;
        _probing.Add(member);
        Probe(member, 1);
    }

    private void Probe(Address member, int attempt) =>
        CrashedMembers.ProbeAsync(member.Host!, member.Port!.Value, ProbeTimeout)
            .PipeTo(Self, success: outcome => new Probed(member, outcome, attempt), failure: _ => new Probed(member, PortProbe.NoAnswer, attempt));

    private void OnProbed(Probed p)
    {
        // Membership may have moved while the probe ran: decide on the state as it is now.
        if (p.Outcome != PortProbe.Refused || !MayDown(p.Member))
        {
            _probing.Remove(p.Member);
            return;
        }
        if (p.Attempt < 2)
        {
            Timers.StartSingleTimer(p.Member, new ProbeAgain(p.Member, p.Attempt + 1), ProbeAgainAfter);
            return;
        }
        _probing.Remove(p.Member);
        _log.Warning("Downing {0}: its link dropped and its remoting port refuses connections, so its process is gone", p.Member);
        // Unreachable too (next reaper tick), or the leader would wait for the heartbeats to say so before removing it.
        CrashedMemberFailureDetector.MarkGone(p.Member);
        _cluster.Down(p.Member);
    }

    private bool MayDown(Address member) => CrashedMembers.MayDown(member, _cluster.SelfAddress, CrashedMembers.Of(_cluster.State));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.UnreachableMember));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }
}
