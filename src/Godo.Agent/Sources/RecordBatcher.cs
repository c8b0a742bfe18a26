using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Sources;

/// <summary>
/// Collects parsed records from a source thread and hands them to the router in batches (one message per
/// batch, not per record). When the pipeline is behind it makes the source wait, so memory stays bounded.
/// Thread-safe: a live source adds from its read thread while a timer flushes partial batches; batches leave in
/// the order their records came.
/// </summary>
public sealed class RecordBatcher
{
    /// <summary>Records handed to the router and not yet routed, and events not yet applied, before the source waits.</summary>
    public const long DefaultMaxAhead = 32 * 1024;

    private readonly Task<IActorRef> _router;
    private readonly PipelineStats _stats;
    private readonly int _batchSize;
    private readonly long _maxAhead;
    private readonly object _gate = new();
    private readonly List<ImmutableArray<AuditRecord>> _beforeStart = new();
    private AuditRecord[] _batch;
    private int _count;

    public RecordBatcher(IActorRef router, PipelineStats stats, int batchSize = 1024)
        : this(Task.FromResult(router), stats, batchSize) { }

    /// <summary>
    /// With a router that is still being started: the source parses ahead meanwhile (start-up of the actor system
    /// and parsing then share the two cores instead of taking turns), and the batches go once the router is there.
    /// The source bounds how much it hands over meanwhile (<see cref="ChunkedLogFeeder"/>: in bytes).
    /// </summary>
    /// <param name="maxAhead">how far ahead of the router and of the tree the source may run (<see cref="DefaultMaxAhead"/>).</param>
    public RecordBatcher(Task<IActorRef> router, PipelineStats stats, int batchSize = 1024, long maxAhead = DefaultMaxAhead)
    {
        _router = router; _stats = stats; _batchSize = batchSize; _maxAhead = maxAhead;
        _batch = new AuditRecord[batchSize];
    }

    public void Add(in AuditRecord record)
    {
        Interlocked.Increment(ref _stats.Records);
        lock (_gate)
        {
            _batch[_count++] = record;
            if (_count < _batch.Length) return;
            var full = _batch;
            _batch = new AuditRecord[_batchSize];
            _count = 0;
            Send(ImmutableCollectionsMarshal.AsImmutableArray(full));
        }
    }

    /// <summary>Records already gathered into a batch of their own (a parsed chunk of a log): sent as they are, after any partial batch.</summary>
    public void AddBatch(ImmutableArray<AuditRecord> records)
    {
        if (records.IsEmpty) return;
        Interlocked.Add(ref _stats.Records, records.Length);
        lock (_gate)
        {
            FlushLocked();
            Send(records);
        }
    }

    /// <summary>Whether records wait in a partial batch (a hint for a flush timer: read without the lock).</summary>
    public bool HasPending => Volatile.Read(ref _count) > 0;

    /// <summary>Sends a partial batch now (a source that is about to wait, and everyone at the end).</summary>
    public void Flush()
    {
        lock (_gate) FlushLocked();
    }

    /// <summary>
    /// For a timer, so a trickling source still delivers: sends the partial batch unless the reader is sending
    /// right now (it may be waiting for the pipeline, and a timer thread must never queue up behind it: blocked
    /// timer callbacks starve the thread pool the actors run on).
    /// </summary>
    public void FlushIfIdle()
    {
        // Nor may it wait for the router to start or to catch up: the next tick will do.
        if (!_router.IsCompleted || Behind()) return;
        if (!Monitor.TryEnter(_gate)) return;
        try { FlushLocked(); }
        finally { Monitor.Exit(_gate); }
    }

    private void FlushLocked()
    {
        if (_count == 0) return;
        var part = _batch.AsSpan(0, _count).ToArray();
        _count = 0;
        Send(ImmutableCollectionsMarshal.AsImmutableArray(part));
    }

    /// <summary>Waits for the router to start and hands it what was parsed meanwhile: for a source about to wait until the router has taken records in.</summary>
    public void SendEarly()
    {
        lock (_gate) Router();
    }

    public void EndOfStream()
    {
        lock (_gate)
        {
            FlushLocked();
            Router().Tell(new EndOfStream());
        }
    }

    // Called under _gate, so batches leave in order even when the timer's Flush and the reader race.
    private void Send(ImmutableArray<AuditRecord> records)
    {
        if (!_router.IsCompleted)
        {
            _beforeStart.Add(records);
            return;
        }
        SendNow(Router(), records);
    }

    /// <summary>The router, once started (waiting for it if need be), after the batches parsed before it was there.</summary>
    private IActorRef Router()
    {
        var router = _router.GetAwaiter().GetResult();
        foreach (var early in _beforeStart) SendNow(router, early);
        _beforeStart.Clear();
        return router;
    }

    private void SendNow(IActorRef router, ImmutableArray<AuditRecord> records)
    {
        var spin = new SpinWait();
        while (Behind()) spin.SpinOnce(sleep1Threshold: 10);
        Interlocked.Add(ref _stats.RecordsSubmitted, records.Length);
        Replay.ReplayTimeline.Mark("first batch sent to the router");
        router.Tell(new RecordBatch(records));
    }

    private bool Behind() =>
        Interlocked.Read(ref _stats.RecordsSubmitted) - Interlocked.Read(ref _stats.RecordsRouted) > _maxAhead
        || Interlocked.Read(ref _stats.Events) - Interlocked.Read(ref _stats.EventsApplied) > _maxAhead;
}
