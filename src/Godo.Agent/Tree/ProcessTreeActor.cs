using System.Collections.Immutable;
using Godo.Messages.Wire;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Replay;
using Godo.Messages.Model;
using static Godo.Agent.Tree.TreeProtocol;

namespace Godo.Agent.Tree;

/// <summary>Settings of the tree actor.</summary>
public sealed record TreeActorSettings
{
    public required string HostName { get; init; }
    /// <summary>Replay: events after this event time are not applied (null: all).</summary>
    public long? UntilMs { get; init; }
    /// <summary>Live: "now" is the wall clock; in replay it is the newest event time.</summary>
    public bool Live { get; init; }
    /// <summary>Live: how often due deletions are swept when the stream is idle.</summary>
    public TimeSpan? SweepInterval { get; init; }
    /// <summary>How often changes are batched for subscribers (aggregator deltas, the live feed).</summary>
    public TimeSpan ChangeInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Adds Docker's name/image/labels to what the audit lineage knows of a container.</summary>
    public Func<string, ContainerInfo, ContainerInfo>? Enrich { get; init; }
}

/// <summary>
/// Owns the host's <see cref="ProcessTree"/>. Applies events strictly in the router's completion order
/// (holding back the few that overtake each other between assemblers), and deletes exited processes 1 s
/// after their exit, in event time, because related records arrive out of order.
/// </summary>
public sealed class ProcessTreeActor : ReceiveActor, IWithTimers
{
    private readonly TreeActorSettings _settings;
    private readonly PipelineStats _pipeline;
    private readonly ProcessTree _tree = new();
    private readonly Dictionary<long, AuditEvent> _early = new();
    private long _next = 1;
    private long? _endSequence;
    private readonly List<IActorRef> _drainWaiters = new();
    private long _lastEventWallMs;
    private readonly List<IActorRef> _subscribers = new();
    private Dictionary<string, ContainerInfo> _sentContainers = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ProcessTreeActor(TreeActorSettings settings, PipelineStats pipeline)
    {
        _settings = settings; _pipeline = pipeline;
        Receive<AuditEvent>(OnEvent);
        Receive<EndOfInput>(m => { _endSequence = m.LastSequence; CheckDrained(); });
        Receive<WaitForDrain>(_ => { _drainWaiters.Add(Sender); CheckDrained(); });
        Receive<GetTree>(q =>
        {
            if (q.AsOfMs is { } asOf)
            {
                _tree.Advance(asOf);
                Sender.Tell(_tree.Snapshot(_settings.HostName, DateTimeOffset.FromUnixTimeMilliseconds(asOf), _pipeline.All(), _settings.Enrich, q.IncludeExited));
            }
            else Sender.Tell(Snapshot(q.IncludeExited));
        });
        Receive<Sweep>(_ =>
        {
            // Only when the stream is idle: while events flow, their own times drive deletions.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (now - _lastEventWallMs > ProcessTree.DeletionDelayMs) _tree.Advance(now - ProcessTree.DeletionDelayMs);
        });
        Receive<SubscribeChanges>(m =>
        {
            _tree.TrackChanges = true;
            _tree.DrainChanges();
            _subscribers.Add(m.Subscriber);
            Context.Watch(m.Subscriber);
            var snapshot = Snapshot();
            _sentContainers = snapshot.Containers.ToDictionary(c => c.Id);
            m.Subscriber.Tell(snapshot);
            if (_subscribers.Count == 1) Timers.StartPeriodicTimer("changes", new PublishChanges(), _settings.ChangeInterval);
        });
        Receive<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Receive<PublishChanges>(_ => PublishPending());
        if (settings.SweepInterval is { } every) Timers.StartPeriodicTimer("sweep", new Sweep(), every);
    }

    public ProcessTree Tree => _tree;

    private HostTree Snapshot(bool includeExited = false) =>
        _tree.Snapshot(_settings.HostName, DateTimeOffset.FromUnixTimeMilliseconds(_settings.Live ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : _tree.NowMs),
            _pipeline.All(), _settings.Enrich, includeExited);

    private void PublishPending()
    {
        if (_subscribers.Count == 0) return;
        var procs = ImmutableArray.CreateBuilder<ProcessChange>();
        foreach (var n in _tree.DrainChanges())
        {
            var current = _tree.Get(n.Pid) == n;
            var kind = !current ? ProcessChangeKind.Removed : n.Alive ? ProcessChangeKind.Upsert : ProcessChangeKind.Exited;
            procs.Add(new ProcessChange(kind, ProcessTree.ToInfo(n)));
        }
        // Removals first, so a pid that was removed and reused in the same batch ends as the new process.
        var ordered = procs.OrderBy(c => c.Kind == ProcessChangeKind.Removed ? 0 : 1).ToImmutableArray();
        var containers = ImmutableArray.CreateBuilder<ContainerChange>();
        var now = _tree.Snapshot(_settings.HostName, DateTimeOffset.UtcNow, enrich: _settings.Enrich).Containers.ToDictionary(c => c.Id);
        foreach (var (id, info) in now)
            if (!_sentContainers.TryGetValue(id, out var old) || !SameContainer(old, info)) containers.Add(new ContainerChange(ContainerChangeKind.Upsert, info));
        foreach (var (id, info) in _sentContainers)
            if (!now.ContainsKey(id)) containers.Add(new ContainerChange(ContainerChangeKind.Gone, info));
        _sentContainers = now;
        if (ordered.IsEmpty && containers.Count == 0) return;
        var changes = new TreeChanges(DateTimeOffset.UtcNow, ordered, containers.ToImmutable());
        foreach (var s in _subscribers) s.Tell(changes);
    }

    private static bool SameContainer(ContainerInfo a, ContainerInfo b) =>
        a.Name == b.Name && a.Image == b.Image && a.InitPid == b.InitPid && a.ShimPid == b.ShimPid
        && a.ProcessCount == b.ProcessCount && a.State == b.State;

    private void OnEvent(AuditEvent e)
    {
        if (e.Sequence != _next) { _early[e.Sequence] = e; return; }
        Apply(e);
        while (_early.Remove(_next, out var next)) Apply(next);
        CheckDrained();
    }

    private void Apply(AuditEvent e)
    {
        _next = e.Sequence + 1;
        Interlocked.Exchange(ref _pipeline.EventsApplied, e.Sequence);
        if (_settings.UntilMs is { } until && e.TimeMs > until) { _tree.Stats.EventsSkipped++; return; }
        _tree.Apply(e);
        _lastEventWallMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    private void CheckDrained()
    {
        if (_endSequence is not { } end || _next <= end || _drainWaiters.Count == 0) return;
        foreach (var w in _drainWaiters) w.Tell(new Drained(_tree.Stats.EventsApplied));
        _drainWaiters.Clear();
    }

    public static Props Props(TreeActorSettings settings, PipelineStats pipeline) =>
        Akka.Actor.Props.Create(() => new ProcessTreeActor(settings, pipeline));
}
