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
    /// <summary>Two refusals this far apart: one is not taken as a dead process.</summary>
    public static readonly TimeSpan RefusedAgainAfter = TimeSpan.FromMilliseconds(200);
    /// <summary>
    /// While the link stays down and the port still accepts, probe again this often, up to <see cref="ProbesWhileAccepting"/>
    /// times: a process that is shutting down (or being torn down) drops its links before it closes its port.
    /// </summary>
    public static readonly TimeSpan OpenAgainAfter = TimeSpan.FromMilliseconds(500);
    public const int ProbesWhileAccepting = 8;
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>While members are unreachable, they are suspected again this often: one seen unreachable before it died
    /// (a stall under load) drops no link when it is killed, and is reported unreachable no second time.</summary>
    public static readonly TimeSpan UnreachableCheck = TimeSpan.FromSeconds(1);

    private sealed record Probed(Address Member, PortProbe Outcome);
    private sealed record CheckUnreachable;
    private sealed record ProbeAgain(Address Member);
    /// <summary>A member under suspicion: probes left while its port accepts, and refusals in a row.</summary>
    private sealed record Suspicion(int ProbesLeft, int Refusals);

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<Address, Suspicion> _suspects = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public CrashedMemberDowningActor()
    {
        Receive<DisassociatedEvent>(e => Suspect(e.RemoteAddress));
        Receive<AssociationErrorEvent>(e => Suspect(e.RemoteAddress));
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            Suspect(e.Member.Address);
            if (!Timers.IsTimerActive(nameof(CheckUnreachable))) Timers.StartPeriodicTimer(nameof(CheckUnreachable), new CheckUnreachable(), UnreachableCheck);
        });
        Receive<CheckUnreachable>(_ =>
        {
            var unreachable = _cluster.State.Unreachable;
            if (unreachable.IsEmpty) Timers.Cancel(nameof(CheckUnreachable));
            foreach (var m in unreachable) Suspect(m.Address);
        });
        // Linked again: alive. A later drop or unreachability starts over.
        Receive<AssociatedEvent>(e => Clear(e.RemoteAddress));
        Receive<ClusterEvent.ReachableMember>(e => Clear(e.Member.Address));
        // Removed: no detector asks about it again, and a new process there starts a new member.
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            Clear(e.Member.Address);
            CrashedMemberFailureDetector.Forget(e.Member.Address);
        });
        Receive<ProbeAgain>(p => { if (_suspects.ContainsKey(p.Member)) Probe(p.Member); });
        Receive<Probed>(OnProbed);
        ReceiveAny(_ => { });
    }

    /// <summary>Lost its link (or unreachable): probe its port, unless already at it or the resolver would keep it anyway.</summary>
    private void Suspect(Address member)
    {
        if (member.Host is null || member.Port is null || _suspects.ContainsKey(member) || !MayDown(member)) return;
        _suspects[member] = new Suspicion(ProbesWhileAccepting, 0);
        Probe(member);
    }

    private void Clear(Address member)
    {
        _suspects.Remove(member);
        Timers.Cancel(member);
    }

    private void Probe(Address member) =>
        CrashedMembers.ProbeAsync(member.Host!, member.Port!.Value, ProbeTimeout)
            .PipeTo(Self, success: outcome => new Probed(member, outcome), failure: _ => new Probed(member, PortProbe.NoAnswer));

    private void OnProbed(Probed p)
    {
        if (!_suspects.TryGetValue(p.Member, out var suspicion)) return; // linked again meanwhile
        // Membership may have moved while the probe ran: decide on the state as it is now.
        if (!MayDown(p.Member))
        {
            Clear(p.Member);
            return;
        }
        if (p.Outcome == PortProbe.Refused)
        {
            if (suspicion.Refusals == 0)
            {
                _suspects[p.Member] = suspicion with { Refusals = 1 };
                Timers.StartSingleTimer(p.Member, new ProbeAgain(p.Member), RefusedAgainAfter);
                return;
            }
            Clear(p.Member);
            _log.Warning("Downing {0}: its link dropped and its remoting port refuses connections, so its process is gone", p.Member);
            // Unreachable too (next reaper tick), or the leader would wait for the heartbeats to say so before removing it.
            CrashedMemberFailureDetector.MarkGone(p.Member);
            _cluster.Down(p.Member);
            return;
        }
        // Accepted (alive, or not yet closed), or no answer (a partition looks like this): no evidence yet.
        if (suspicion.ProbesLeft <= 1)
        {
            Clear(p.Member);
            return;
        }
        _suspects[p.Member] = new Suspicion(suspicion.ProbesLeft - 1, 0);
        Timers.StartSingleTimer(p.Member, new ProbeAgain(p.Member), OpenAgainAfter);
    }

    private bool MayDown(Address member) => CrashedMembers.MayDown(member, _cluster.SelfAddress, CrashedMembers.Of(_cluster.State));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociatedEvent));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember), typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }
}
