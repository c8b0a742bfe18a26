using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;

namespace Godo.Agent.Sources;

/// <summary>
/// Reads audit text lines from a stream (a log file, a followed file, auditd's plugin stdin) on a dedicated
/// thread, parses their headers and hands them to the router through a <see cref="RecordBatcher"/>.
/// </summary>
public sealed class AuditStreamFeeder
{
    private readonly RecordBatcher _batcher;
    private readonly PipelineStats _stats;
    private readonly BodyArena _arena = new(); // only the read thread parses

    public AuditStreamFeeder(IActorRef router, PipelineStats stats, int batchSize = 1024)
        : this(Task.FromResult(router), stats, batchSize) { }

    /// <summary>With a router still starting: reading and parsing begin at once (see <see cref="RecordBatcher"/>).</summary>
    public AuditStreamFeeder(Task<IActorRef> router, PipelineStats stats, int batchSize = 1024)
    {
        _batcher = new RecordBatcher(router, stats, batchSize);
        _stats = stats;
    }

    private PartialBatchFlusher? _flusher;
    private long _paceOriginEventMs = -1;
    private long _paceOriginTicks;

    /// <summary>Stop reading once records are this far past it (replay --until); null reads to the end.</summary>
    public long? StopAfterMs { get; init; }
    /// <summary>Release records no faster than their event times advance, so a log behaves like a live host.</summary>
    public bool PaceByEventTime { get; init; }
    public bool StoppedEarly { get; private set; }

    /// <summary>Runs the read loop on its own thread (never an actor dispatcher); completes at end of stream.</summary>
    public Task RunAsync(Stream input, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Run(input, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(Stream input, CancellationToken ct)
    {
        var reader = new AuditLineReader(input);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var flusher = new PartialBatchFlusher(_batcher, 50); // followed files and stdin trickle
        _flusher = flusher;
        try
        {
            reader.ReadAllAsync(line => OnLine(line, stop),
                () => { Interlocked.Increment(ref _stats.Lines); _stats.CountMalformed(MalformedReason.Oversized); },
                stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StoppedEarly) { }
        _batcher.EndOfStream();
    }

    private void OnLine(ReadOnlySpan<byte> line, CancellationTokenSource stop)
    {
        Interlocked.Increment(ref _stats.Lines);
        var why = AuditLineParser.TryParseLine(line, out var rec, _arena);
        if (why != MalformedReason.None)
        {
            if (why != MalformedReason.Empty) _stats.CountMalformed(why);
            return;
        }
        if (StopAfterMs is { } stopAt && rec.TimeMs > stopAt && !StoppedEarly)
        {
            StoppedEarly = true;
            stop.Cancel();
            return;
        }
        if (PaceByEventTime) Pace(rec.TimeMs, stop.Token);
        _batcher.Add(rec);
        _flusher?.Arm();
    }

    private void Pace(long eventMs, CancellationToken ct)
    {
        if (_paceOriginEventMs < 0) { _paceOriginEventMs = eventMs; _paceOriginTicks = Environment.TickCount64; return; }
        var wait = (eventMs - _paceOriginEventMs) - (Environment.TickCount64 - _paceOriginTicks);
        if (wait <= 0) return;
        _batcher.Flush();
        ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(wait, 60_000)));
    }
}
