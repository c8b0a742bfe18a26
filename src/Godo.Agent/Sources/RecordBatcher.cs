using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Replay;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Sources;

/// <summary>
/// Collects parsed records from a source thread and hands them to the router in batches (one message per
/// batch, not per record). When the pipeline is behind it makes the source wait, so memory stays bounded.
/// Thread-safe: a live source adds from its read thread while a timer flushes partial batches.
/// </summary>
public sealed class RecordBatcher(IActorRef router, PipelineStats stats, int batchSize = 1024)
{
    private const long MaxRecordsAhead = 32 * 1024;
    private const long MaxEventsAhead = 32 * 1024;

    private readonly object _gate = new();
    private AuditRecord[] _batch = new AuditRecord[batchSize];
    private int _count;

    public void Add(in AuditRecord record)
    {
        Interlocked.Increment(ref stats.Records);
        AuditRecord[]? full = null;
        lock (_gate)
        {
            _batch[_count++] = record;
            if (_count == _batch.Length)
            {
                full = _batch;
                _batch = new AuditRecord[batchSize];
                _count = 0;
            }
        }
        if (full is not null) Send(ImmutableCollectionsMarshal.AsImmutableArray(full));
    }

    /// <summary>Sends a partial batch (live sources call this on a short timer, and everyone at the end).</summary>
    public void Flush()
    {
        AuditRecord[] part;
        lock (_gate)
        {
            if (_count == 0) return;
            part = _batch.AsSpan(0, _count).ToArray();
            _count = 0;
        }
        Send(ImmutableCollectionsMarshal.AsImmutableArray(part));
    }

    private void Send(ImmutableArray<AuditRecord> records)
    {
        var spin = new SpinWait();
        while (Interlocked.Read(ref stats.RecordsSubmitted) - Interlocked.Read(ref stats.RecordsRouted) > MaxRecordsAhead
               || Interlocked.Read(ref stats.Events) - Interlocked.Read(ref stats.EventsApplied) > MaxEventsAhead)
            spin.SpinOnce(sleep1Threshold: 10);
        Interlocked.Add(ref stats.RecordsSubmitted, records.Length);
        router.Tell(new RecordBatch(records));
    }

    public void EndOfStream()
    {
        Flush();
        router.Tell(new EndOfStream());
    }
}
