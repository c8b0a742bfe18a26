using Akka.Actor;
using Akka.Event;
using static Godo.Aggregator.History.HistoryProtocol;

namespace Godo.Aggregator.History;

/// <summary>How the history is written and kept.</summary>
public sealed record HistoryOptions
{
    /// <summary>A keyframe of each host's open versions every this much of its event time: the most a tree at T reads past one.</summary>
    public TimeSpan KeyframeEvery { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Rows gather this long before they are written in one transaction.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Rows waiting for the store beyond this many bytes are dropped (counted and logged): ingest never waits for the disk.</summary>
    public long QueueBytes { get; init; } = 64L << 20;
    public TimeSpan SweepEvery { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);
    public long MaxBytes { get; init; } = 10L << 30;
    /// <summary>The aggregator's caps, applied again to what is kept (as the fleet does).</summary>
    public Godo.Messages.Model.ProcessCaps Caps { get; init; } = Godo.Messages.Model.ProcessCaps.Default;
}

/// <summary>
/// `/user/history`: records every applied snapshot and delta (<see cref="HistoryRecorder"/>) and writes the rows in
/// batches off the actor's thread, one write at a time, so ingest never waits on the store. A failed write is counted
/// and logged in one line; what waits beyond <see cref="HistoryOptions.QueueBytes"/> is dropped, counted and logged.
/// Sweeps retention periodically. It keeps the open versions of the hosts whose entities run on this member only: a
/// host's are read from the store when its entity first records here, and dropped when the entity stops (it moved).
/// </summary>
public sealed class HistoryWriterActor : ReceiveActor, IWithTimers
{
    private sealed record FlushTick;
    private sealed record Written(int Rows, Exception? Error);
    private sealed record SweepTick;
    private sealed record Swept(long Rows, Exception? Error, IActorRef? ReplyTo);

    private readonly HistoryStore _store;
    private readonly HistoryOptions _options;
    private readonly HistoryRecorder _recorder;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private HistoryBatch _pending = new();
    private HistoryBatch? _inFlight;
    /// <summary>Hosts whose open versions the recorder holds (read from the store when first seen here).</summary>
    private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);
    private long _pendingBytes;
    private bool _writing;
    private long _written, _failed, _dropped;
    private DateTime _lastDropLog = DateTime.MinValue;
    private readonly List<IActorRef> _flushWaiters = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public HistoryWriterActor(HistoryStore store, HistoryOptions options)
    {
        _store = store;
        _options = options;
        _recorder = new HistoryRecorder(options.KeyframeEvery) { Caps = options.Caps };
        Receive<Applied>(m => OnApplied(m.Message));
        Receive<Recovered>(OnRecovered);
        Receive<Released>(m =>
        {
            _recorder.Forget(m.Host);
            _loaded.Remove(m.Host);
        });
        Receive<FlushTick>(_ => StartWrite());
        Receive<Written>(OnWritten);
        Receive<Flush>(_ =>
        {
            _flushWaiters.Add(Sender);
            if (!_writing) StartWrite();
        });
        Receive<SweepTick>(_ => StartSweep(null));
        Receive<SweepNow>(_ => StartSweep(Sender));
        Receive<Swept>(m =>
        {
            if (m.Error is not null) _log.Warning("history: retention sweep failed: {0}", OneLine(m.Error));
            else if (m.Rows > 0) _log.Info("history: retention deleted {0} rows", m.Rows);
            m.ReplyTo?.Tell(m.Rows);
        });
    }

    /// <summary>
    /// The first sweep runs at start-up: it applies the retention to what aged while the aggregator was stopped, and
    /// its first queries (linq2db compiles each on first use, about 2 s of CPU, and faults the JIT back in after the
    /// start-up trim) belong to start-up, not to the first minute at rest.
    /// </summary>
    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", new SweepTick(), FirstSweep, _options.SweepEvery);

    private static readonly TimeSpan FirstSweep = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A host new to this member's recorder: what the store holds open for it, with what this writer has not written yet
    /// on top (by row key, the newest winning, as the upserts will leave the store).
    /// </summary>
    private void Load(string host)
    {
        if (!_loaded.Add(host)) return;
        try
        {
            var (hosts, open, containers, keyframes) = _store.LoadOpen(host);
            var unwritten = new[] { _inFlight, _pending }.OfType<HistoryBatch>().ToList();
            var processes = new Dictionary<(int, long, long), ProcessVersionRow>();
            foreach (var r in open.Concat(unwritten.SelectMany(b => b.Processes).Where(r => r.Host == host))) processes[(r.Pid, r.StartedAt, r.ValidFrom)] = r;
            var boxes = new Dictionary<(string, long), ContainerVersionRow>();
            foreach (var r in containers.Concat(unwritten.SelectMany(b => b.Containers).Where(r => r.Host == host))) boxes[(r.Id, r.ValidFrom)] = r;
            var coverage = hosts.Concat(unwritten.SelectMany(b => b.Hosts).Where(r => r.Host == host)).Aggregate((HistoryHostRow?)null,
                (a, r) => a is null ? r : a with { FirstAt = Math.Min(a.FirstAt, r.FirstAt), LastAt = Math.Max(a.LastAt, r.LastAt) });
            foreach (var k in unwritten.SelectMany(b => b.Keyframes).Where(k => k.Host == host && k.Pid == HistoryRecorder.KeyframeMarkerPid))
                keyframes[host] = Math.Max(keyframes.GetValueOrDefault(host, long.MinValue), k.At);
            _recorder.Restore(coverage is null ? [] : [coverage], processes.Values.Where(r => r.ValidTo is null),
                boxes.Values.Where(r => r.ValidTo is null), keyframes);
        }
        catch (Exception e)
        {
            // The live views work without it; the host's history goes on from its next snapshot.
            _log.Warning("history: cannot read {0}'s open versions from the store ({1}): {2}", host, _store.Target.Describe(), OneLine(e));
        }
    }

    private void OnApplied(Godo.Messages.Wire.IHostMessage message)
    {
        Load(message.Host);
        Enqueue(_recorder.Record(message));
    }

    private void OnRecovered(Recovered m)
    {
        var state = m.State;
        Load(state.Host);
        // Nothing recorded of the host: its history begins with its agent's next snapshot.
        if (_recorder.LastAt(state.Host) is not { } had) return;
        var replayed = m.Replayed.IsDefault ? [] : m.Replayed;
        // What the journal holds past the history (a killed member's last rows, never written): at its own times.
        foreach (var delta in replayed)
            if (HistoryRecorder.EventTimeOf(delta) > had) Enqueue(_recorder.RecordDelta(delta));
        // The state holds no event time of its own: its newest start or exit, or its newest delta's.
        var newest = (state.Processes.IsDefault ? [] : state.Processes.Select(p => p.ExitedAt ?? p.StartedAt)).OfType<DateTimeOffset>()
            .Select(HistoryRecorder.Ms).Concat(replayed.Select(HistoryRecorder.EventTimeOf).OfType<long>()).DefaultIfEmpty(long.MinValue).Max();
        // The journal is written behind the history (and a failed write is lost to it, not to the history): a state no
        // newer than the history is older than it, and would end at the history's last time what began then.
        if (newest <= had) return;
        var at = Math.Max(_recorder.LastAt(state.Host) ?? had, newest);
        Enqueue(_recorder.RecordSnapshot(state with { EventTime = DateTimeOffset.FromUnixTimeMilliseconds(at) }));
    }

    private void Enqueue(HistoryBatch batch)
    {
        if (batch.IsEmpty) return;
        var bytes = Bytes(batch);
        if (_pendingBytes + bytes > _options.QueueBytes)
        {
            _dropped += batch.Processes.Count + batch.Containers.Count + batch.Keyframes.Count;
            if (DateTime.UtcNow - _lastDropLog > TimeSpan.FromMinutes(1))
            {
                _lastDropLog = DateTime.UtcNow;
                _log.Warning("history: the store is behind by more than {0} bytes: {1} rows dropped so far", _options.QueueBytes, _dropped);
            }
            return;
        }
        _pending.Add(batch);
        _pendingBytes += bytes;
        if (!_writing && !Timers.IsTimerActive("flush")) Timers.StartSingleTimer("flush", new FlushTick(), _options.FlushInterval);
    }

    private void StartWrite()
    {
        if (_writing) return;
        if (_pending.IsEmpty)
        {
            foreach (var w in _flushWaiters) w.Tell(new Flushed(_written, _failed, _dropped));
            _flushWaiters.Clear();
            return;
        }
        var batch = _pending;
        _pending = new HistoryBatch();
        _pendingBytes = 0;
        _writing = true;
        _inFlight = batch;
        var rows = batch.Processes.Count + batch.Containers.Count + batch.Keyframes.Count;
        var store = _store;
        Task.Run(() => { store.Write(batch); return new Written(rows, null); })
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new Written(rows, t.Exception?.GetBaseException()), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private void OnWritten(Written m)
    {
        _writing = false;
        _inFlight = null;
        if (m.Error is null) _written += m.Rows;
        else
        {
            _failed += m.Rows;
            _log.Warning("history: writing {0} rows to {1} failed ({2} so far): {3}", m.Rows, _store.Target.Describe(), _failed, OneLine(m.Error));
        }
        StartWrite();
    }

    private void StartSweep(IActorRef? replyTo)
    {
        var (store, options) = (_store, _options);
        Task.Run(() => new Swept(store.Sweep(options.Retention, options.MaxBytes), null, replyTo))
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new Swept(0, t.Exception?.GetBaseException(), replyTo), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private static long Bytes(HistoryBatch b) =>
        b.Processes.Sum(p => 96L + p.Argv.Length + (p.Exe?.Length ?? 0) + (p.Cwd?.Length ?? 0) + (p.Container?.Length ?? 0) + p.Host.Length)
        + b.Containers.Sum(c => 128L + c.Labels.Length) + b.Keyframes.Count * 40L + b.Hosts.Count * 40L;

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    public static Props Props(HistoryStore store, HistoryOptions options) => Akka.Actor.Props.Create(() => new HistoryWriterActor(store, options));
}
