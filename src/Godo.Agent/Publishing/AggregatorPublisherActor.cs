using System.Collections.Immutable;
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
/// Feeds the aggregators with this host's tree: a snapshot (sequence S) when it starts, then a
/// <see cref="HostDelta"/> per batch of changes (S+1, S+2, ... with no holes in one incarnation), and an
/// <see cref="AgentHeartbeat"/> every 2 s; and the exec/exit feed as <see cref="HostFeed"/> batches. Sent through the
/// ClusterClient to /user/agent-ingest of the receptionist's own member (Send with local affinity: one hop, in order),
/// which hands it to this host's entity wherever it lives; or straight to the local ingest actor in standalone. A <see cref="SnapshotRequest"/> (a gap,
/// or an aggregator that does not know this incarnation) is answered with a fresh snapshot, numbered next and sent to
/// all, so the aggregators that had no gap see none either.
/// Over the network a snapshot goes in pieces (<see cref="SnapshotChunk"/>, see <see cref="SnapshotWindow"/>) as the
/// aggregators ack them, and deltas wait in a <see cref="DeltaBuffer"/> until its last piece is sent. They wait there
/// too while no aggregator answers (acks of heartbeats and pieces); past the buffer's bound they are dropped, and a
/// fresh snapshot goes once an aggregator answers again.
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
    private readonly DeltaBuffer _held;
    private readonly SentDeltas _sent;
    private IActorRef? _tree;
    private long _sequence;
    /// <summary>The last sequence wholly handed to the transport (a snapshot counts once its last piece is).</summary>
    private long _sentSequence;
    private const int MaxFeedWaitingEvents = 50_000;
    private readonly Queue<HostFeed> _feedWaiting = new();
    private int _feedWaitingEvents;
    private bool _snapshotPending;
    /// <summary>What the aggregators have is no longer enough (held deltas dropped, a snapshot given up): a snapshot goes next, once one answers.</summary>
    private bool _snapshotNeeded;
    private SnapshotWindow? _sending;
    private DateTime _lastSnapshotAt = DateTime.MinValue;
    private DateTime _answeredAt = DateTime.MinValue;
    /// <summary>Bytes of deltas sent since an aggregator last answered: what the transport may be holding for none.</summary>
    private long _unansweredBytes;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Messages sent, for tests and stats: snapshots, deltas, deltas dropped on purpose, heartbeats, and the bounds at work.</summary>
    public sealed record Counters(long Snapshots, long Deltas, long DroppedDeltas, long Heartbeats, long SnapshotRequests, long Sequence, string Incarnation,
        long Chunks = 0, long SnapshotsAbandoned = 0, long BufferOverflows = 0, long DeltasDiscarded = 0, long HeldBytes = 0, long DeltasResent = 0);
    public sealed record GetCounters;
    private long _snapshots, _deltas, _dropped, _heartbeats, _requests, _chunks, _abandoned, _resent;

    public AggregatorPublisherActor(PublisherSettings settings, Func<Task<IActorRef>> resolveTree, IActorRef? clusterClient)
    {
        _settings = settings;
        _resolveTree = resolveTree;
        _client = clusterClient;
        _held = new DeltaBuffer(settings.BufferBytes);
        _sent = new SentDeltas(settings.ResendBytes);
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
        Receive<TreeProtocol.TreeChanges>(OnChanges);
        // The feed has its own numbering: it needs no snapshot, and a lost batch shows as a gap, not as a resync.
        Receive<TreeProtocol.FeedChanges>(f =>
        {
            var feed = new HostFeed(_settings.HostName, _incarnation, f.First, f.Events, f.Dropped);
            // An aggregator takes a host's feed only once it holds the host: before the first snapshot has gone out,
            // batches wait here (bounded; a batch let go is a gap the aggregator reports as dropped).
            if (_sentSequence > 0) { Send(feed); return; }
            _feedWaiting.Enqueue(feed);
            _feedWaitingEvents += f.Events.Length;
            while (_feedWaitingEvents > MaxFeedWaitingEvents && _feedWaiting.TryDequeue(out var old)) _feedWaitingEvents -= old.Events.Length;
        });
        Receive<SnapshotRequest>(r =>
        {
            _requests++;
            Answered();
            if (_snapshotPending || _tree is null) return;
            // One is on its way to every aggregator. One that joined after its first piece went still lacks the host
            // when it ends, and asks again then (its heartbeat check), to be answered by the next.
            if (_sending is not null) return;
            // A gap (the member that had the deltas died, or they were lost on the way): those deltas again, if all still here.
            if (r.FromSequence is { } from && r.Incarnation == _incarnation && _sent.TryResend(from, _sequence, out var again))
            {
                _log.Info("deltas {0}-{1} sent again, asked by {2}: {3}", from, _sequence, Sender.Path, r.Reason);
                _resent += again.Count;
                foreach (var delta in again) Transmit(delta);
                return;
            }
            if (DateTime.UtcNow - _lastSnapshotAt < _settings.SnapshotCoalesce) return; // the one just sent answers it
            _log.Info("snapshot asked by {0}: {1}", Sender.Path, r.Reason);
            AskSnapshot();
        });
        Receive<IngestAck>(a =>
        {
            if (a.Incarnation != _incarnation) return;
            if (a.Chunk >= 0 && _sending is { } s && s.Sequence == a.Sequence) s.Ack(a.From ?? Sender.Path.ToString(), a.Chunk, DateTime.UtcNow);
            Answered();
        });
        Receive<HeartbeatTick>(_ =>
        {
            if (_sending is { } s && s.Stalled(DateTime.UtcNow))
            {
                // Nobody takes it (no aggregator yet, or all gone): the first to answer gets a fresh one.
                _abandoned++;
                _log.Info("snapshot {0} given up at piece {1} of {2}: no aggregator acks it", s.Sequence, s.Next, s.Count);
                _sending = null;
                _sentSequence = s.Sequence;
                _snapshotNeeded = true;
            }
            _sent.Trim(DateTime.UtcNow);
            if (_sentSequence == 0) return;
            _heartbeats++;
            Send(new AgentHeartbeat(_settings.HostName, _incarnation, _sentSequence, DateTimeOffset.UtcNow, Stats(), _address));
        });
        Receive<GetCounters>(_ => Sender.Tell(new Counters(_snapshots, _deltas, _dropped, _heartbeats, _requests, _sequence, _incarnation,
            _chunks, _abandoned, _held.Overflows, _held.Discarded, _held.Bytes, _resent)));
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

    private bool Remote => _client is not null;

    /// <summary>An aggregator answers: what waited for one may go.</summary>
    private void Answered()
    {
        _answeredAt = DateTime.UtcNow;
        _unansweredBytes = 0;
        Pump();
    }

    /// <summary>Deltas may go straight out: no snapshot on its way, and an aggregator answered lately (within the byte bound).</summary>
    private bool Open =>
        _sending is null && (!Remote || DateTime.UtcNow - _answeredAt <= _settings.AnswerTimeout && _unansweredBytes < _settings.BufferBytes);

    private void AskSnapshot()
    {
        _snapshotPending = true;
        _snapshotNeeded = false;
        _tree!.Tell(new TreeProtocol.GetTree(), Self);
    }

    private void SendSnapshot(HostTree tree)
    {
        _snapshotPending = false;
        _snapshotNeeded = false;
        _snapshots++;
        // The changes held so far are older than this tree: it holds them. So does it every delta sent before.
        _held.Clear();
        _sent.Clear();
        var proof = _settings.Tls is { } tls ? AgentProof.Sign(tls.Certificate, _settings.HostName, _incarnation, DateTimeOffset.UtcNow) : null;
        var sequence = ++_sequence;
        if (!Remote)
        {
            // In one process nothing limits a message's size.
            Send(new HostSnapshot(_settings.HostName, _incarnation, sequence, tree.AsOf, tree.Processes, tree.Containers, Stats(), _address, proof, tree.EventTime));
            _sentSequence = sequence;
            _lastSnapshotAt = DateTime.UtcNow;
            FlushFeed();
            return;
        }
        _header = new SnapshotHeader(tree.AsOf, tree.Containers, Stats(), _address, proof, tree.EventTime);
        _sending = new SnapshotWindow(sequence, tree.Processes, _settings.ChunkBytes, _settings.ChunkProcesses, _settings.ChunkWindow, _settings.AckTimeout, DateTime.UtcNow);
        Pump();
    }

    private SnapshotHeader? _header;

    /// <summary>The feed batches that waited for the first snapshot, after it.</summary>
    private void FlushFeed()
    {
        while (_feedWaiting.TryDequeue(out var feed)) Send(feed);
        _feedWaitingEvents = 0;
    }

    /// <summary>Sends what may go: the snapshot's pieces the window allows, then held deltas, or a snapshot that is due.</summary>
    private void Pump()
    {
        if (_sending is { } s)
        {
            foreach (var (index, processes) in s.Sendable(DateTime.UtcNow))
            {
                _chunks++;
                Send(new SnapshotChunk(_settings.HostName, _incarnation, s.Sequence, index, processes,
                    index == 0 ? _header : null, index == s.Count - 1 ? s.Count : null));
            }
            if (!s.AllSent) return;
            _sending = null;
            _header = null;
            _sentSequence = s.Sequence;
            _lastSnapshotAt = DateTime.UtcNow;
            FlushFeed();
        }
        if (_snapshotNeeded && !_snapshotPending && _tree is not null && DateTime.UtcNow - _answeredAt <= _settings.AnswerTimeout)
        {
            AskSnapshot();
            return;
        }
        while (Open && _held.TryTake(out var changes)) SendDelta(changes);
    }

    private void OnChanges(TreeProtocol.TreeChanges changes)
    {
        if (_sequence == 0 || _snapshotPending) return; // the snapshot on its way from the tree holds these changes already
        if (_snapshotNeeded) return;                     // and so will the next one
        // Straight out only within what may go unanswered: a burst bigger than that is held, and past the bound, a snapshot.
        if (Open && _held.Count == 0 && (!Remote || _unansweredBytes + DeltaBuffer.SizeOf(changes) <= _settings.BufferBytes)) { SendDelta(changes); return; }
        if (!_held.Add(changes))
        {
            _log.Warning("more than {0} bytes of changes held (no aggregator answering, a snapshot on its way, or a burst): dropped for a fresh snapshot", _held.LimitBytes);
            _snapshotNeeded = true;
            Pump(); // at once if an aggregator answers
        }
    }

    /// <summary>One batch of changes as deltas, in pieces of at most the chunk size, each numbered next.</summary>
    private void SendDelta(TreeProtocol.TreeChanges changes)
    {
        var processes = changes.Processes.IsDefault ? [] : changes.Processes;
        var containers = changes.Containers.IsDefault ? [] : changes.Containers;
        var start = 0;
        do
        {
            var end = start;
            long bytes = 0;
            while (end < processes.Length && (end == start || bytes + WireSize.Of(processes[end].Process) <= _settings.ChunkBytes))
                bytes += WireSize.Of(processes[end++].Process);
            var last = end >= processes.Length;
            var delta = new HostDelta(_settings.HostName, _incarnation, ++_sequence, changes.AsOf,
                processes.Slice(start, end - start), last ? containers : [], changes.EventTime);
            start = end;
            _sentSequence = _sequence;
            _sent.Add(delta, bytes + 64, DateTime.UtcNow);
            if (!Transmit(delta)) continue;
            _deltas++;
            _unansweredBytes += bytes;
        } while (start < processes.Length);
    }

    /// <summary>Sends <paramref name="delta"/>, unless the test hook loses it on the way (counted); false then.</summary>
    private bool Transmit(HostDelta delta)
    {
        if (_settings.DropDelta?.Invoke(delta) == true) { _dropped++; return false; }
        Send(delta);
        return true;
    }

    private void Send(IGodoWireMessage message)
    {
        if (_client is not null) _client.Tell(new ClusterClient.Send(GodoConstants.AgentIngestPath, message, localAffinity: true));
        else if (message is IHostMessage host) Context.ActorSelection(GodoConstants.AgentIngestPath).Tell(InProcessMessage.Wrap(host));
    }

    private AgentStats Stats()
    {
        var s = _settings.Stats?.Invoke() ?? new AgentStats();
        if (s.StartedAt == default) s = s with { StartedAt = _started };
        if (s.Version.Length == 0) s = s with { Version = typeof(AggregatorPublisherActor).Assembly.GetName().Version?.ToString(3) ?? "" };
        return s with { BufferOverflows = _held.Overflows, DeltasDiscarded = _held.Discarded, SnapshotsAbandoned = _abandoned };
    }

    public static Props Props(PublisherSettings settings, Func<Task<IActorRef>> resolveTree, IActorRef? clusterClient) =>
        Akka.Actor.Props.Create(() => new AggregatorPublisherActor(settings, resolveTree, clusterClient));
}
