using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using Godo.Aggregator.Fleet;
using Godo.Aggregator.Ingest;
using Godo.Aggregator.Ops;
using Godo.Messages;
using Godo.Messages.Api;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Hosts;

/// <summary>
/// One host, sharded over the aggregators (entity id = host name) and persistent (<c>host-{name}</c>): it owns a
/// <see cref="FleetState"/> holding that one host (the merge rules) and a <see cref="SnapshotAssembly"/> for its snapshot
/// pieces, acks its agent's heartbeats and pieces, asks it for snapshots (replies go back through the receptionist's
/// tunnel, the region keeps the sender), and answers tree queries. What changes the tree is persisted as it was
/// applied (the snapshot, each delta), written behind the state (PersistAsync: a query never waits for the disk; a
/// replay of what the state already has is a duplicate to the merge rules). An Akka snapshot of the state every
/// <see cref="HostEntityOptions.SnapshotEvery"/> events or <see cref="HostEntityOptions.SnapshotInterval"/>, after
/// which the journal and older snapshots are deleted: the journal holds the live tree, the history its own tables.
/// Recovered (after a move or a restart), the host is stale until its agent speaks. It publishes its summary and
/// containers to every member's <see cref="HostDirectory"/>, and its fleet events to every member's feed.
/// </summary>
public sealed class HostEntity : ReceivePersistentActor, IWithTimers
{
    private readonly string _host;
    private readonly FleetState _state;
    private readonly SnapshotAssembly _assembly;
    private readonly AggregatorMetrics _metrics;
    private readonly HostsHeld _held;
    private readonly History.HistoryTap _history;
    private readonly HostEntityOptions _options;
    private readonly TimeSpan _tick;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _mediator = DistributedPubSub.Get(Context.System).Mediator;
    private readonly string _self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private long _sinceSnapshot;
    private DateTimeOffset _snapshotAt = DateTimeOffset.UtcNow;
    private DateTimeOffset _publishedAt = DateTimeOffset.MinValue;
    private bool _dirty;
    private readonly AnsweredQueries _answered = new();
    /// <summary>The deltas replayed from the journal, newest last, for the history (cleared once recovered).</summary>
    private Queue<HostDelta>? _replayed = new();
    /// <summary>The journal holds the events since the last Akka snapshot (<see cref="HostEntityOptions.SnapshotEvery"/>): this is ample.</summary>
    private const int MaxReplayedForHistory = 20_000;
    /// <summary>How long past its <see cref="HostTreeQuery.AnswerBy"/> a query is still answered.</summary>
    private const long StaleQuerySlackMs = 1_000;

    public ITimerScheduler Timers { get; set; } = null!;
    public override string PersistenceId => "host-" + _host;

    public HostEntity(string host, AggregatorSettings settings, AggregatorMetrics metrics, HostsHeld held, History.HistoryTap history)
    {
        _host = host;
        _history = history;
        _state = new FleetState(settings.Fleet);
        _assembly = new SnapshotAssembly(settings.Fleet.Caps, settings.Fleet.SnapshotAssemblyTimeout);
        _metrics = metrics;
        _held = held;
        _options = settings.Hosts;
        _tick = settings.SweepInterval;

        // Replayed as applied, trusted: proofs and claims were checked when they first came.
        Recover<SnapshotOffer>(o => { if (o.Snapshot is HostSnapshot s) _state.ApplySnapshot(s, inProcess: true); });
        Recover<HostSnapshot>(s => _state.ApplySnapshot(s, inProcess: true));
        Recover<HostDelta>(d =>
        {
            // Only what the state took (a replayed duplicate or a delta past a gap changed nothing).
            if (_state.ApplyDelta(d).Outcome != IngestOutcome.Applied) return;
            _replayed!.Enqueue(d);
            if (_replayed.Count > MaxReplayedForHistory) _replayed.Dequeue();
        });
        Recover<RecoveryCompleted>(_ =>
        {
            var replayed = _replayed!.ToImmutableArray();
            _replayed = null;
            if (_state.HostCount == 0) return;
            var recovered = _state.Get(_host)!;
            _log.Info("host {0}: recovered from the journal (sequence {1}, {2} deltas replayed); stale until its agent speaks", _host, recovered.Sequence, replayed.Length);
            _history.Recovered(recovered.ToSnapshot(), replayed);
            Emit(_state.Recovered("recovered by another aggregator; waiting for its agent"));
        });

        Command<IHostMessage>(m => Ingest(m, inProcess: false));
        Command<InProcessMessage>(m => Ingest(m.Message, m.IsGenuine));
        Command<HostTreeQuery>(Answer);
        Command<HostAgentLost>(l => Emit(_state.MarkUnreachable(l.AgentAddress)));
        Command<HostProtocol.Tick>(_ => OnTick());
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("host {0}: snapshot not saved: {1}", _host, f.Cause.Message));
        Command<DeleteMessagesFailure>(f => _log.Warning("host {0}: old events not deleted: {1}", _host, f.Cause.Message));
        Command<DeleteSnapshotsFailure>(f => _log.Warning("host {0}: old snapshots not deleted: {1}", _host, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
    }

    protected override void PreStart()
    {
        _held.Add(_host, _state);
        Timers.StartPeriodicTimer("tick", HostProtocol.Tick.Instance, _tick);
        base.PreStart();
    }

    protected override void PostStop()
    {
        _held.Remove(_host, _state);
        _history.Released(_host);
        base.PostStop();
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
        Sender.Tell(new IngestAck(chunk.Host, chunk.Incarnation, chunk.Sequence, chunk.Index, _self));
        var abandoned = _assembly.Abandoned;
        var result = _assembly.Add(chunk, _state.Now);
        _metrics.SnapshotChunks.WithLabels(result.Outcome.ToString().ToLowerInvariant()).Inc();
        if (_assembly.Abandoned > abandoned) _metrics.SnapshotsAbandoned.Inc(_assembly.Abandoned - abandoned);
        if (result.Snapshot is { } snapshot) Apply(snapshot, inProcess);
    }

    private void Apply(IHostMessage message, bool inProcess)
    {
        var result = _state.Apply(message, inProcess);
        _metrics.Count(result, message);
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
        // What was applied goes to the history too (the one writer of this host's versions: its entity).
        if (result.Outcome == IngestOutcome.Applied) _history.Applied(message);
        // A snapshot is kept as applied (cut to this aggregator's caps), a delta as it came (small, capped on replay).
        if (result.Outcome == IngestOutcome.Applied && message is HostSnapshot or HostDelta)
            PersistAsync(message is HostSnapshot && _state.Get(_host) is { } applied ? applied.ToSnapshot() : message, _ =>
            {
                if (++_sinceSnapshot >= _options.SnapshotEvery) SaveState();
            });
        _dirty |= result.Outcome is IngestOutcome.Applied or IngestOutcome.Duplicate or IngestOutcome.Refused;
        Emit(result.Events);
    }

    private void Answer(HostTreeQuery q)
    {
        // Its asker gave up (it waited in the region while the shard moved): no tree for nobody. The slack covers the
        // members' clocks, which may differ by a little.
        if (q.AnswerBy > 0 && DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > q.AnswerBy + StaleQuerySlackMs) return;
        if (!_answered.First(q.QueryId)) return; // sent again while this one was on its way: answered once
        if (_state.Get(_host) is not { } h)
        {
            Sender.Tell(new HostTreeReply(q.Host, null, 404, $"unknown host '{q.Host}'"));
            return;
        }
        if (q.SummaryOnly)
        {
            Sender.Tell(new HostTreeReply(q.Host, null, Summary: h.Summary() with { HeldBy = _self }));
            return;
        }
        if (h.TreeReleased)
        {
            Sender.Tell(new HostTreeReply(q.Host, null, 410,
                $"host '{q.Host}' is down (since {h.DownSince:u}): its tree is no longer held, only its summary (GET /api/hosts/{q.Host}); it comes back with its agent"));
            return;
        }
        var tree = h.ToTree(q.IncludeExited);
        if (q.Container is not null || q.Exe is not null || q.Argv is not null || q.Limit < tree.Processes.Length)
            tree = tree with { Processes = tree.Processes.Where(p => Matches(p, q)).Take(q.Limit).ToImmutableArray() };
        Sender.Tell(new HostTreeReply(q.Host, tree));
    }

    private static bool Matches(Godo.Messages.Model.ProcessInfo p, HostTreeQuery q) =>
        (q.Container is null || p.Container == q.Container)
        && (q.Exe is not { } exe || (p.Exe ?? "").Contains(exe, StringComparison.Ordinal) || (p.Comm ?? "").Contains(exe, StringComparison.Ordinal))
        && (q.Argv is not { } argv || string.Join(' ', p.Argv.IsDefault ? [] : p.Argv).Contains(argv, StringComparison.Ordinal));

    private void OnTick()
    {
        var now = _state.Now;
        if (_assembly.Sweep(now) is > 0 and var dropped)
        {
            _metrics.SnapshotsAbandoned.Inc(dropped);
            _log.Info("host {0}: {1} unfinished snapshot(s) dropped: their pieces stopped coming", _host, dropped);
        }
        var events = _state.Sweep();
        if (events.Any(e => e.Kind == FleetEventKinds.HostRemoved))
        {
            // Retention: the host is forgotten everywhere, its journal with it, and the entity stops for good.
            Emit(events);
            _mediator.Tell(new Publish(GodoConstants.HostDirectoryTopic,
                new HostDirectoryEntry(new HostSummary { Host = _host, Status = HostStatus.Down }, [], _self, Removed: true)));
            DeleteMessages(long.MaxValue);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }
        Emit(events);
        if (_sinceSnapshot > 0 && now - _snapshotAt >= _options.SnapshotInterval) SaveState();
        if (_state.HostCount > 0 && now - _publishedAt >= _options.DirectoryRefresh) PublishEntry();
        // A stray query or a refused claim made this entity: no host, nothing to keep.
        if (_state.HostCount == 0 && now - _started > _options.IdleUnknown) Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void SaveState()
    {
        _sinceSnapshot = 0;
        _snapshotAt = _state.Now;
        // A host down long enough to let its tree go keeps its journal until its agent brings a new snapshot.
        if (_state.Get(_host) is { TreeReleased: false } h) SaveSnapshot(h.ToSnapshot());
    }

    /// <summary>Fleet events to every member's feed; status and container changes reach the directory at once, the rest at its pace.</summary>
    private void Emit(IReadOnlyList<FleetEvent> events)
    {
        if (events.Count > 0)
        {
            _mediator.Tell(new Publish(GodoConstants.FleetEventsTopic, new FleetEventBatch([.. events])));
            foreach (var e in events)
                if (e.Kind is FleetEventKinds.HostDown or FleetEventKinds.HostStale or FleetEventKinds.HostRemoved)
                    _log.Info("host {0}: {1} ({2})", e.Host, e.Kind, e.Reason);
        }
        var urgent = events.Any(e => e.Kind is not (FleetEventKinds.Exec or FleetEventKinds.Exit or FleetEventKinds.Dropped));
        if (urgent || (_dirty && _state.Now - _publishedAt >= _options.DirectoryInterval)) PublishEntry();
    }

    private void PublishEntry()
    {
        if (_state.Get(_host) is not { } h) return;
        ImmutableArray<Godo.Messages.Model.ContainerInfo> containers;
        lock (h.Gate) containers = [.. h.OrderedContainers()];
        _mediator.Tell(new Publish(GodoConstants.HostDirectoryTopic, new HostDirectoryEntry(h.Summary(), containers, _self)));
        _publishedAt = _state.Now;
        _dirty = false;
    }
}
