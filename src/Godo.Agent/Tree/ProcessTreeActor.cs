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

    public ITimerScheduler Timers { get; set; } = null!;

    public ProcessTreeActor(TreeActorSettings settings, PipelineStats pipeline)
    {
        _settings = settings; _pipeline = pipeline;
        Receive<AuditEvent>(OnEvent);
        Receive<EndOfInput>(m => { _endSequence = m.LastSequence; CheckDrained(); });
        Receive<WaitForDrain>(_ => { _drainWaiters.Add(Sender); CheckDrained(); });
        Receive<GetTree>(q =>
        {
            if (q.AsOfMs is { } asOf) _tree.Advance(asOf);
            var asOfTime = q.AsOfMs ?? (_settings.Live ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : _tree.NowMs);
            Sender.Tell(_tree.Snapshot(_settings.HostName, DateTimeOffset.FromUnixTimeMilliseconds(asOfTime),
                _pipeline.All(), _settings.Enrich, q.IncludeExited));
        });
        Receive<Sweep>(_ =>
        {
            // Only when the stream is idle: while events flow, their own times drive deletions.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (now - _lastEventWallMs > ProcessTree.DeletionDelayMs) _tree.Advance(now - ProcessTree.DeletionDelayMs);
        });
        if (settings.SweepInterval is { } every) Timers.StartPeriodicTimer("sweep", new Sweep(), every);
    }

    public ProcessTree Tree => _tree;

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
