using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using Godo.Agent.Tree;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>
/// Feeds every aggregator with this host's tree: a <see cref="HostSnapshot"/> (sequence S) when it starts, then a
/// <see cref="HostDelta"/> per batch of changes (S+1, S+2, ... with no holes in one incarnation), and an
/// <see cref="AgentHeartbeat"/> every 2 s; and the exec/exit feed as <see cref="HostFeed"/> batches. Sent to all aggregators through the ClusterClient (SendToAll to
/// /user/agent-ingest), or straight to the local ingest actor in standalone. A <see cref="SnapshotRequest"/> (a gap,
/// or an aggregator that does not know this incarnation) is answered with a fresh snapshot, numbered next and sent to
/// all, so the aggregators that had no gap see none either.
/// </summary>
public sealed class AggregatorPublisherActor : ReceiveActor, IWithTimers
{
    private sealed record TreeResolved(IActorRef Tree);
    private sealed record HeartbeatTick;

    private readonly PublisherSettings _settings;
    private readonly Func<Task<IActorRef>> _resolveTree;
    private readonly IActorRef? _client;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _incarnation = Guid.NewGuid().ToString("N");
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly string? _address;
    private IActorRef? _tree;
    private long _sequence;
    private bool _snapshotPending;
    private DateTime _lastSnapshotAt = DateTime.MinValue;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Messages sent, for tests and stats: snapshots, deltas, deltas dropped on purpose, heartbeats.</summary>
    public sealed record Counters(long Snapshots, long Deltas, long DroppedDeltas, long Heartbeats, long SnapshotRequests, long Sequence, string Incarnation);
    public sealed record GetCounters;
    private long _snapshots, _deltas, _dropped, _heartbeats, _requests;

    public AggregatorPublisherActor(PublisherSettings settings, Func<Task<IActorRef>> resolveTree, IActorRef? clusterClient)
    {
        _settings = settings;
        _resolveTree = resolveTree;
        _client = clusterClient;
        _address = clusterClient is null ? null : ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();

        Receive<TreeResolved>(m =>
        {
            _tree = m.Tree;
            Context.Watch(_tree);
            _snapshotPending = true;
            _tree.Tell(new TreeProtocol.SubscribeChanges(Self));
            Timers.StartPeriodicTimer("heartbeat", new HeartbeatTick(), _settings.HeartbeatInterval);
        });
        Receive<Status.Failure>(f => throw new InvalidOperationException("the agent's tree actor is not registered", f.Cause));
        // The subscription's first reply, and every GetTree reply: a snapshot.
        Receive<HostTree>(SendSnapshot);
        Receive<TreeProtocol.TreeChanges>(SendDelta);
        // The feed has its own numbering: it needs no snapshot, and a lost batch shows as a gap, not as a resync.
        Receive<TreeProtocol.FeedChanges>(f => Send(new HostFeed(_settings.HostName, _incarnation, f.First, f.Events, f.Dropped)));
        Receive<SnapshotRequest>(r =>
        {
            _requests++;
            if (_snapshotPending || _tree is null) return;
            if (DateTime.UtcNow - _lastSnapshotAt < _settings.SnapshotCoalesce) return; // the one just sent answers it
            _log.Info("snapshot asked by {0}: {1}", Sender.Path, r.Reason);
            _snapshotPending = true;
            _tree.Tell(new TreeProtocol.GetTree(), Self);
        });
        Receive<HeartbeatTick>(_ =>
        {
            if (_sequence == 0) return;
            _heartbeats++;
            Send(new AgentHeartbeat(_settings.HostName, _incarnation, _sequence, DateTimeOffset.UtcNow, Stats(), _address));
        });
        Receive<GetCounters>(_ => Sender.Tell(new Counters(_snapshots, _deltas, _dropped, _heartbeats, _requests, _sequence, _incarnation)));
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_tree)) return;
            _log.Warning("the tree actor stopped; the publisher stops too");
            Context.Stop(Self);
        });
    }

    protected override void PreStart()
    {
        var self = Self;
        _resolveTree().ContinueWith(t => t.IsCompletedSuccessfully ? (object)new TreeResolved(t.Result) : new Status.Failure(t.Exception), TaskScheduler.Default)
            .PipeTo(self);
    }

    private void SendSnapshot(HostTree tree)
    {
        _snapshotPending = false;
        _lastSnapshotAt = DateTime.UtcNow;
        _snapshots++;
        var proof = _settings.Tls is { } tls ? AgentProof.Sign(tls.Certificate, _settings.HostName, _incarnation, DateTimeOffset.UtcNow) : null;
        Send(new HostSnapshot(_settings.HostName, _incarnation, ++_sequence, tree.AsOf, tree.Processes, tree.Containers, Stats(), _address, proof));
    }

    private void SendDelta(TreeProtocol.TreeChanges changes)
    {
        if (_sequence == 0) return; // before the first snapshot: it holds these changes already
        var delta = new HostDelta(_settings.HostName, _incarnation, ++_sequence, changes.AsOf,
            changes.Processes.IsDefault ? [] : changes.Processes, changes.Containers.IsDefault ? [] : changes.Containers);
        if (_settings.DropDelta?.Invoke(delta) == true) { _dropped++; return; }
        _deltas++;
        Send(delta);
    }

    private void Send(IGodoWireMessage message)
    {
        if (_client is not null) _client.Tell(new ClusterClient.SendToAll(GodoConstants.AgentIngestPath, message));
        else if (message is IHostMessage host) Context.ActorSelection(GodoConstants.AgentIngestPath).Tell(InProcessMessage.Wrap(host));
    }

    private AgentStats Stats()
    {
        var s = _settings.Stats?.Invoke() ?? new AgentStats();
        if (s.StartedAt == default) s = s with { StartedAt = _started };
        if (s.Version.Length == 0) s = s with { Version = typeof(AggregatorPublisherActor).Assembly.GetName().Version?.ToString(3) ?? "" };
        return s;
    }

    public static Props Props(PublisherSettings settings, Func<Task<IActorRef>> resolveTree, IActorRef? clusterClient) =>
        Akka.Actor.Props.Create(() => new AggregatorPublisherActor(settings, resolveTree, clusterClient));
}
