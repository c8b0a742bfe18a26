using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Godo.Aggregator.Fleet;
using Godo.Aggregator.History;
using Godo.Aggregator.Ops;
using Godo.Messages;
using Godo.Messages.Api;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Ingest;

/// <summary>
/// `/user/agent-ingest` on every aggregator, registered with the ClusterClient receptionist: agents SendToAll their
/// snapshots, deltas and heartbeats here. Applies them to the <see cref="FleetState"/>, asks the sender (the agent,
/// through the receptionist's response tunnel) for a snapshot when it cannot, and turns ClusterClientUnreachable into
/// an <see cref="AgentUnreachable"/> for every aggregator. Snapshots come in pieces (<see cref="SnapshotChunk"/>): each
/// is acked to its agent (which sends more as acks come), put together by a <see cref="SnapshotAssembly"/>, and
/// applied whole; the deltas of an incarnation whose snapshot is under way are dropped (they follow its last piece).
/// Heartbeats are acked too: agents hold their deltas while no aggregator answers.
/// </summary>
public sealed class AgentIngestActor : ReceiveActor, IWithTimers
{
    private sealed record SweepTick;

    private readonly FleetState _fleet;
    private readonly AggregatorMetrics _metrics;
    private readonly FleetFeed _events;
    private readonly ConnectedClients _clients;
    private readonly HistoryTap _history;
    private readonly TimeSpan _sweepInterval;
    private readonly SnapshotAssembly _assembly;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _mediator;
    private readonly string _self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();

    public ITimerScheduler Timers { get; set; } = null!;

    public AgentIngestActor(FleetState fleet, AggregatorMetrics metrics, FleetFeed events, ConnectedClients clients, HistoryTap history, TimeSpan sweepInterval)
    {
        _history = history;
        _fleet = fleet;
        _metrics = metrics;
        _events = events;
        _clients = clients;
        _sweepInterval = sweepInterval;
        _assembly = new SnapshotAssembly(fleet.Options.Caps, fleet.Options.SnapshotAssemblyTimeout);
        Receive<IHostMessage>(m => Ingest(m, inProcess: false));
        Receive<InProcessMessage>(m => Ingest(m.Message, m.IsGenuine));
        Receive<AgentUnreachable>(m =>
        {
            var events = _fleet.MarkUnreachable(m.AgentAddress);
            Publish(events);
        });
        Receive<ClusterClients>(m =>
        {
            foreach (var c in m.ClusterClientsList) _clients.Up(c.Path.Address.ToString());
        });
        Receive<ClusterClientUp>(m => _clients.Up(m.ClusterClient.Path.Address.ToString()));
        Receive<ClusterClientUnreachable>(m =>
        {
            var address = m.ClusterClient.Path.Address.ToString();
            _clients.Gone(address);
            var msg = new AgentUnreachable(address, DateTimeOffset.UtcNow);
            // Only the receptionist the client talked to notices; tell every aggregator (ourselves included).
            if (_mediator is not null) _mediator.Tell(new Publish(GodoConstants.AgentLinksTopic, msg));
            else Self.Tell(msg);
        });
        Receive<SubscribeAck>(_ => { });
        Receive<SweepTick>(_ =>
        {
            if (_assembly.Sweep(_fleet.Now) is > 0 and var dropped)
            {
                _metrics.SnapshotsAbandoned.Inc(dropped);
                _log.Info("{0} unfinished snapshot(s) dropped: their pieces stopped coming", dropped);
            }
            Publish(_fleet.Sweep());
        });
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("sweep", new SweepTick(), _sweepInterval);
        var system = Context.System;
        if (system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
        {
            _mediator = DistributedPubSub.Get(system).Mediator;
            _mediator.Tell(new Subscribe(GodoConstants.AgentLinksTopic, Self));
            ClusterClientReceptionist.Get(system).Underlying.Tell(SubscribeClusterClients.Instance, Self);
        }
    }

    private void Ingest(IHostMessage message, bool inProcess)
    {
        switch (message)
        {
            case SnapshotChunk chunk:
                OnChunk(chunk, inProcess);
                return;
            case AgentHeartbeat hb:
                Sender.Tell(new IngestAck(hb.Host, hb.Incarnation, hb.LastSequence, From: _self));
                break;
            case HostDelta d when _assembly.Assembling(d.Host, d.Incarnation):
                _metrics.Count(IngestResult.Dropped, d);
                return;
        }
        Apply(message, inProcess);
    }

    private void OnChunk(SnapshotChunk chunk, bool inProcess)
    {
        if (HostNames.Problem(chunk.Host) is { } badName)
        {
            _log.Debug("snapshot piece refused: {0}", badName);
            return;
        }
        Sender.Tell(new IngestAck(chunk.Host, chunk.Incarnation, chunk.Sequence, chunk.Index, _self));
        var abandoned = _assembly.Abandoned;
        var result = _assembly.Add(chunk, _fleet.Now);
        _metrics.SnapshotChunks.WithLabels(result.Outcome.ToString().ToLowerInvariant()).Inc();
        if (_assembly.Abandoned > abandoned) _metrics.SnapshotsAbandoned.Inc(_assembly.Abandoned - abandoned);
        if (result.Snapshot is { } snapshot) Apply(snapshot, inProcess);
    }

    private void Apply(IHostMessage message, bool inProcess)
    {
        var result = _fleet.Apply(message, inProcess);
        _metrics.Count(result, message);
        // What the fleet applied, history records (by event time, off this actor's thread).
        if (result.Outcome == IngestOutcome.Applied) _history.Applied(message);
        if (result.Refusal is { } refusal)
        {
            if (result.NewConflict) _log.Warning("{0}", refusal);
            else _log.Debug("{0}", refusal);
        }
        // The snapshot it would ask for is on its way already.
        if (result.Request is { } request && !_assembly.Assembling(request.Host, request.Incarnation))
        {
            _log.Info("asking {0} for a snapshot: {1}", request.Host, request.Reason);
            Sender.Tell(request);
        }
        Publish(result.Events);
    }

    private void Publish(IReadOnlyList<FleetEvent> events)
    {
        foreach (var e in events)
        {
            _events.Publish(e);
            if (e.Kind is FleetEventKinds.HostDown or FleetEventKinds.HostStale or FleetEventKinds.HostRemoved)
                _log.Info("host {0}: {1} ({2})", e.Host, e.Kind, e.Reason);
        }
    }
}
