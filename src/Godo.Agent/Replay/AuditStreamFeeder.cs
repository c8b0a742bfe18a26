using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Audit;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Replay;

/// <summary>
/// Reads audit text lines from a stream (a log file, a followed file, auditd's plugin stdin) on a dedicated
/// thread, parses their headers and sends them to the router in batches. It waits when the pipeline is behind,
/// so memory stays bounded however fast the file can be read.
/// </summary>
public sealed class AuditStreamFeeder(IActorRef router, PipelineStats stats, int batchSize = 1024)
{
    private const long MaxRecordsAhead = 32 * 1024;
    private const long MaxEventsAhead = 32 * 1024;

    private AuditRecord[] _batch = new AuditRecord[batchSize];
    private int _count;
    private long _lastBatchTicks = Environment.TickCount64;

    /// <summary>Stop reading once records are this far past it (replay --until); null reads to the end.</summary>
    public long? StopAfterMs { get; init; }
    /// <summary>For live sources: send a partial batch once it is this old.</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(20);
    public bool StoppedEarly { get; private set; }

    /// <summary>Runs the read loop on its own thread (never an actor dispatcher); completes at end of stream.</summary>
    public Task RunAsync(Stream input, CancellationToken ct = default, bool sendEndOfStream = true) =>
        Task.Factory.StartNew(() => Run(input, ct, sendEndOfStream), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(Stream input, CancellationToken ct, bool sendEndOfStream)
    {
        var reader = new AuditLineReader(input);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            reader.ReadAllAsync(line => OnLine(line, stop),
                () => { Interlocked.Increment(ref stats.Lines); stats.CountMalformed(MalformedReason.Oversized); },
                stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (StoppedEarly) { }
        Flush();
        if (sendEndOfStream) router.Tell(new EndOfStream());
    }

    private void OnLine(ReadOnlySpan<byte> line, CancellationTokenSource stop)
    {
        Interlocked.Increment(ref stats.Lines);
        var why = AuditLineParser.TryParseLine(line, out var rec);
        if (why != MalformedReason.None)
        {
            if (why != MalformedReason.Empty) stats.CountMalformed(why);
            return;
        }
        if (StopAfterMs is { } stopAt && rec.TimeMs > stopAt && !StoppedEarly)
        {
            StoppedEarly = true;
            stop.Cancel();
            return;
        }
        Interlocked.Increment(ref stats.Records);
        _batch[_count++] = rec;
        if (_count == _batch.Length || Environment.TickCount64 - _lastBatchTicks > MaxBatchDelay.TotalMilliseconds) Flush();
    }

    /// <summary>Sends what is batched (live sources also call this from a timer through <see cref="Flush"/>).</summary>
    public void Flush()
    {
        _lastBatchTicks = Environment.TickCount64;
        if (_count == 0) return;
        var records = ImmutableCollectionsMarshal.AsImmutableArray(_batch.AsSpan(0, _count).ToArray());
        _count = 0;
        var spin = new SpinWait();
        while (Interlocked.Read(ref stats.RecordsSubmitted) - Interlocked.Read(ref stats.RecordsRouted) > MaxRecordsAhead
               || Interlocked.Read(ref stats.Events) - Interlocked.Read(ref stats.EventsApplied) > MaxEventsAhead)
            spin.SpinOnce(sleep1Threshold: 10);
        Interlocked.Add(ref stats.RecordsSubmitted, records.Length);
        router.Tell(new RecordBatch(records));
    }
}
