using System.Runtime.CompilerServices;
using Akka.Event;
using System.Collections.Immutable;
using Godo.Messages.Wire;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
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
    /// <summary>Live: due deletions are swept when the stream is idle, at most this often.</summary>
    public TimeSpan? SweepInterval { get; init; }
    /// <summary>Reads /proc for reconciliation (null: no reconciliation, as in replay).</summary>
    public Func<Proc.ProcSnapshot>? ReadProc { get; init; }
    /// <summary>How often the tree is reconciled with /proc.</summary>
    public TimeSpan? ReconcileInterval { get; init; }
    /// <summary>
    /// Changes go to subscribers (aggregator deltas, the live feed) this long after the first of a batch: what a host
    /// does in that window (a process's records, its exit from the connector, the feed's reorder window) goes out as
    /// one delta and one feed batch, one timer and one wake-up of each thread on the way per window.
    /// </summary>
    public TimeSpan ChangeInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>What the tree keeps of each process; aggregators apply theirs again on what they receive.</summary>
    public ProcessCaps Caps { get; init; } = ProcessCaps.Default;
    /// <summary>Live: the host's user names, given to what the tree sends (null: uids only, as in replay).</summary>
    public Proc.UserNames? Users { get; init; }
    /// <summary>The exec/exit feed's reorder window and bounds.</summary>
    public FeedSettings Feed { get; init; } = new();
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
    private readonly ProcessTree _tree;
    private readonly Dictionary<long, AuditEvent> _early = new();
    /// <summary>Runs of events that overtook earlier ones between assemblers, by their first sequence.</summary>
    private readonly Dictionary<long, ImmutableArray<AuditEvent>> _earlyRuns = new();
    /// <summary>An event reached the tree since the last message: its wall time is the stream's last activity.</summary>
    private bool _appliedSinceMessage;
    private long _next = 1;
    private long? _endSequence;
    private readonly List<IActorRef> _drainWaiters = new();
    private long _lastEventWallMs;
    /// <summary>Which events the tree applies (all but those past --until).</summary>
    private readonly EventCut _cut;
    private readonly List<IActorRef> _subscribers = new();
    private readonly SentContainers _sentContainers = new();
    private readonly Dictionary<string, ContainerInfo> _docker = new(StringComparer.Ordinal);
    private bool _reconciling;
    /// <summary>Docker metadata arrived since the last publish: the containers may look different.</summary>
    private bool _dockerChanged;
    private readonly Akka.Event.ILoggingAdapter _log = Akka.Event.Logging.GetLogger(Context);
    private readonly FeedBuffer _feed;
    /// <summary>Wall time of the last message that changed the tree.</summary>
    private long _lastChangeWallMs;

    public ITimerScheduler Timers { get; set; } = null!;

    // The actor's own ticks and replies: nothing else sends them, so they are not in TreeProtocol.
    /// <summary>Periodic sweep of due deletions on a live stream.</summary>
    private sealed record Sweep;
    /// <summary>Drain the tree's changed nodes into a <see cref="TreeChanges"/>.</summary>
    private sealed record PublishChanges;
    /// <summary>The /proc read for a reconciliation, done off the tree's thread.</summary>
    private sealed record ProcRead(Proc.ProcSnapshot Snapshot, string Reason, int Attempt);
    /// <summary>The pipeline was still behind: read /proc again a little later.</summary>
    private sealed record RequestReconcileRetry(string Reason, int Attempt);

    public ProcessTreeActor(TreeActorSettings settings, PipelineStats pipeline)
    {
        _settings = settings; _pipeline = pipeline;
        _feed = new FeedBuffer(settings.Feed);
        _cut = new EventCut(settings.UntilMs);
        _tree = new ProcessTree { Caps = settings.Caps };
        Receive<AuditEvent>(e => { OnEvent(e); Changed(); });
        Receive<AssembledEvents>(m => { Replay.ReplayTimeline.Mark("tree: first events"); OnEvents(m.Events); Changed(); });
        Receive<EndOfInput>(m => { _endSequence = m.LastSequence; CheckDrained(); });
        Receive<WaitForDrain>(_ => { _drainWaiters.Add(Sender); CheckDrained(); });
        Receive<GetTree>(q =>
        {
            if (q.AsOfMs is { } asOf)
            {
                _tree.Advance(asOf);
                Sender.Tell(_tree.Snapshot(_settings.HostName, DateTimeOffset.FromUnixTimeMilliseconds(asOf), _pipeline.All(), EnrichFromDocker, q.IncludeExited));
            }
            else Sender.Tell(Snapshot(q.IncludeExited));
        });
        Receive<Sweep>(_ =>
        {
            // Only when the stream is idle: while events flow, their own times drive deletions.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (now - _lastEventWallMs > ProcessTree.DeletionDelayMs) _tree.Advance(now - ProcessTree.DeletionDelayMs);
            ArmTimers();
        });
        Receive<SubscribeChanges>(m =>
        {
            _tree.TrackChanges = true;
            _tree.TrackFeed = true;
            _tree.DrainChanges();
            _subscribers.Add(m.Subscriber);
            Context.Watch(m.Subscriber);
            var snapshot = Snapshot();
            _sentContainers.Reset(snapshot.Containers);
            m.Subscriber.Tell(snapshot);
        });
        Receive<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Receive<Seed>(m => { _tree.Seed(m.Snapshot); Changed(); });
        Receive<RequestReconcile>(m => StartReconcile(m.Reason, 0));
        Receive<ProcRead>(OnProcRead);
        Receive<Status.Failure>(f => { _reconciling = false; _log.Warning("reading /proc failed: {0}", f.Cause.Message); });
        Receive<ProcessesExited>(m =>
        {
            foreach (var exit in m.Exits) _tree.ApplyProcExit(exit.Pid, exit.TimeMs, exit.ExitCode);
            Interlocked.Exchange(ref _pipeline.ProcEvents, _tree.Stats.ProcEvents);
            Changed();
        });
        Receive<ContainerMetadata>(m =>
        {
            if (m.Info is null) _docker.Remove(m.Id); else _docker[m.Id] = m.Info;
            _dockerChanged = true;
            Changed();
        });
        if (settings.ReconcileInterval is { } rec && settings.ReadProc is not null)
            Timers.StartPeriodicTimer("reconcile", new RequestReconcile("periodic"), rec);
        Receive<PublishChanges>(_ =>
        {
            PublishPending();
            PublishFeed(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            ArmTimers();
        });
        Receive<RequestReconcileRetry>(m => StartReconcile(m.Reason, m.Attempt));
    }

    public ProcessTree Tree => _tree;

    private void StartReconcile(string reason, int attempt)
    {
        if (_settings.ReadProc is not { } read || _reconciling && attempt == 0) return;
        _reconciling = true;
        // A read while events are in flight would only be read again (see OnProcRead): in a storm that was a whole /proc
        // read every 200 ms, hundreds of syscalls a process. Wait for the pipeline first, within the same attempts.
        if (Behind() && attempt < MaxReconcileAttempts)
        {
            Timers.StartSingleTimer("reconcile-retry", new RequestReconcileRetry(reason, attempt + 1), ReconcileRetry);
            return;
        }
        var self = Self;
        Task.Run(() => new ProcRead(read(), reason, attempt)).PipeTo(self);
    }

    /// <summary>A reconciliation waits for the pipeline to catch up this often, at most this many times, then compares anyway.</summary>
    private static readonly TimeSpan ReconcileRetry = TimeSpan.FromMilliseconds(200);
    private const int MaxReconcileAttempts = 10;

    /// <summary>Records or events are still on their way to the tree.</summary>
    private bool Behind() =>
        Interlocked.Read(ref _pipeline.Events) - Interlocked.Read(ref _pipeline.EventsApplied) > 0
        || Interlocked.Read(ref _pipeline.RecordsSubmitted) - Interlocked.Read(ref _pipeline.RecordsRouted) > 0;

    /// <summary>How long after a /proc read its comparison waits for events still on their way.</summary>
    private static readonly TimeSpan ReconcileSettle = TimeSpan.FromMilliseconds(300);

    private void OnProcRead(ProcRead m)
    {
        // Compare only when the pipeline has caught up: events still in flight are not drift.
        if (Behind() && m.Attempt < MaxReconcileAttempts)
        {
            Timers.StartSingleTimer("reconcile-retry", new RequestReconcileRetry(m.Reason, m.Attempt + 1), ReconcileRetry);
            return;
        }
        // And only once what happened before the read has had time to arrive: an exit just before it shows in /proc
        // (gone, or a zombie) a few milliseconds before its event reaches the tree.
        var age = DateTimeOffset.UtcNow - m.Snapshot.TakenAt;
        if (age < ReconcileSettle)
        {
            Timers.StartSingleTimer("reconcile-settle", m, ReconcileSettle - age);
            return;
        }
        _reconciling = false;
        var corrections = _tree.Reconcile(m.Snapshot);
        Interlocked.Exchange(ref _pipeline.Corrections, _tree.Stats.Corrections);
        foreach (var c in corrections) _log.Warning("reconcile ({0}): {1}", m.Reason, c);
        ArmTimers();
    }

    /// <summary>
    /// One sweep, when it will have something to do: the stream idle for the deletion delay and the earliest deletion
    /// due by then (a sweep deletes up to the wall clock less that delay). While events flow it finds the stream busy
    /// and waits again: about once a second, where a fixed tick woke 10 times a second whenever an exit was pending,
    /// which on a host that starts a few processes a second is always.
    /// </summary>
    private void ArmSweep()
    {
        if (_settings.SweepInterval is not { } least || _tree.NextDeletionMs is not { } due || Timers.IsTimerActive("sweep")) return;
        var at = Math.Max(_lastEventWallMs + ProcessTree.DeletionDelayMs + 1, due + ProcessTree.DeletionDelayMs);
        var wait = TimeSpan.FromMilliseconds(at - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Timers.StartSingleTimer("sweep", new Sweep(), wait > least ? wait : least);
    }

    /// <summary>A message changed the tree: its time says when the stream went quiet (see <see cref="PublishFeed"/>).</summary>
    private void Changed()
    {
        _lastChangeWallMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ArmTimers();
    }

    /// <summary>
    /// The sweep and the publisher run only while they have work (deletions due, changes to send), so a tree at rest
    /// leaves its thread asleep.
    /// </summary>
    private void ArmTimers()
    {
        // Every message that changes the tree ends here: the feed events it made are stamped with their receive time now.
        if (_tree.HasFeed)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var e in _tree.DrainFeed()) _feed.Add(e, now);
        }
        ArmSweep();
        if (_subscribers.Count > 0 && (_tree.HasChanges || _dockerChanged || !_feed.IsEmpty) && !Timers.IsTimerActive("changes"))
            Timers.StartSingleTimer("changes", new PublishChanges(), _settings.ChangeInterval);
    }


    private ContainerInfo EnrichFromDocker(string id, ContainerInfo info)
    {
        if (!_docker.TryGetValue(id, out var d)) return info;
        return info with { Name = d.Name ?? info.Name, Image = d.Image ?? info.Image, Labels = d.Labels, State = d.State ?? info.State, StartedAt = d.StartedAt ?? info.StartedAt };
    }

    private HostTree Snapshot(bool includeExited = false)
    {
        var tree = _tree.Snapshot(_settings.HostName, DateTimeOffset.FromUnixTimeMilliseconds(_settings.Live ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : _tree.NowMs),
            _pipeline.All(), EnrichFromDocker, includeExited);
        tree = tree with { EventTime = EventTime() };
        return _settings.Users is { } users ? tree with { Processes = users.Name(tree.Processes) } : tree;
    }

    /// <summary>The kernel time of the newest event applied; null before the first.</summary>
    private DateTimeOffset? EventTime() => _tree.NowMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(_tree.NowMs) : null;

    private void PublishPending()
    {
        if (_subscribers.Count == 0) return;
        if (!_tree.HasChanges && !_dockerChanged) return;
        var delta = _tree.DrainDelta(_settings.Users is { } users ? p => users.Name(p) : null);
        _dockerChanged = false;
        var ordered = delta.Processes;
        var eventTime = EventTime();
        var containers = _sentContainers.Changes(delta, _tree.RunningContainers(EnrichFromDocker), EnrichFromDocker, eventTime);
        if (ordered.IsEmpty && containers.IsEmpty) return;
        var changes = new TreeChanges(DateTimeOffset.UtcNow, ordered, containers, eventTime);
        foreach (var s in _subscribers) s.Tell(changes);
    }

    /// <summary>
    /// Sends the feed events whose reorder window has passed: by the wall clock on a live host, by the newest event
    /// time in a replayed log, and all of them once the stream is idle.
    /// </summary>
    private void PublishFeed(long nowMs)
    {
        if (_subscribers.Count == 0) return;
        // Quiet for half a window: nothing more is on its way, and the feed goes out whole with the changes.
        var idle = nowMs - _lastChangeWallMs >= (long)_settings.ChangeInterval.TotalMilliseconds / 2;
        var watermark = idle ? long.MaxValue : _settings.Live ? nowMs : _tree.NowMs;
        if (_feed.Release(watermark) is not { } batch) return;
        var message = new FeedChanges(batch.First, batch.Events, batch.Dropped);
        foreach (var s in _subscribers) s.Tell(message);
    }

    private void OnEvent(AuditEvent e)
    {
        if (e.Sequence != _next) { _early[e.Sequence] = e; return; }
        Apply(e);
        CatchUp();
    }

    /// <summary>A run of consecutive sequences from one assembler: held whole while an earlier run is still on its way.</summary>
    private void OnEvents(ImmutableArray<AuditEvent> events)
    {
        if (events.IsEmpty) return;
        if (events[0].Sequence != _next) { _earlyRuns[events[0].Sequence] = events; return; }
        ApplyRun(events);
        CatchUp();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void ApplyRun(ImmutableArray<AuditEvent> events)
    {
        foreach (var e in events)
            if (e.Sequence == _next) Apply(e);
            else _early[e.Sequence] = e;
    }

    /// <summary>Applies what waited for the events just applied, then publishes progress once per message, not per event.</summary>
    private void CatchUp()
    {
        while (true)
        {
            if (_early.Remove(_next, out var e)) Apply(e);
            else if (_earlyRuns.Remove(_next, out var run)) ApplyRun(run);
            else break;
        }
        Interlocked.Exchange(ref _pipeline.EventsApplied, _next - 1);
        if (_appliedSinceMessage) { _lastEventWallMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(); _appliedSinceMessage = false; }
        CheckDrained();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void Apply(AuditEvent e)
    {
        _next = e.Sequence + 1;
        if (!_cut.Admits(e)) { _tree.Stats.EventsSkipped++; return; }
        _tree.Apply(e);
        _tree.ApplyMatchedEarlyExits();
        _appliedSinceMessage = true;
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
