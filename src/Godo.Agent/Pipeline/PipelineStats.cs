namespace Godo.Agent.Pipeline;

/// <summary>
/// Counters of the audit pipeline (reader, assembly). Updated with Interlocked because the reader thread and
/// the actors each own some of them; read as a consistent-enough snapshot for reports and metrics.
/// </summary>
public sealed class PipelineStats
{
    public long Lines;
    public long Records;
    public long Events;
    public long Malformed;
    public long EventsWithoutEoe;
    public long LateRecords;
    public long MalformedEvents;
    /// <summary>Records handed to the router, and records it has taken in: the reader's backpressure gauge.</summary>
    public long RecordsSubmitted;
    public long RecordsRouted;
    /// <summary>Events the tree has applied (or skipped): with <see cref="Events"/>, the tree's backlog.</summary>
    public long EventsApplied;
    /// <summary>Live sources: the kernel's lost counter (since start), ENOBUFS overflows, the kernel backlog, /proc corrections.</summary>
    public long KernelLost;
    public long Overflows;
    public long Backlog;
    public long Corrections;
    /// <summary>The process events connector: exits it applied to the tree, events it lost, and whether it is open (1) at all.</summary>
    public long ProcEvents;
    public long ProcEventsLost;
    public long ProcEventsOpen;
    private readonly long[] _byReason = new long[Enum.GetValues<Audit.MalformedReason>().Length];

    public void CountMalformed(Audit.MalformedReason reason, long count = 1)
    {
        Interlocked.Add(ref Malformed, count);
        Interlocked.Add(ref _byReason[(int)reason], count);
    }

    public IEnumerable<KeyValuePair<string, long>> All()
    {
        yield return new("lines", Interlocked.Read(ref Lines));
        yield return new("records", Interlocked.Read(ref Records));
        yield return new("events", Interlocked.Read(ref Events));
        yield return new("malformed", Interlocked.Read(ref Malformed));
        yield return new("eventsWithoutEoe", Interlocked.Read(ref EventsWithoutEoe));
        yield return new("lateRecords", Interlocked.Read(ref LateRecords));
        yield return new("malformedEvents", Interlocked.Read(ref MalformedEvents));
        yield return new("kernelLost", Interlocked.Read(ref KernelLost));
        yield return new("overflows", Interlocked.Read(ref Overflows));
        yield return new("procEventsLost", Interlocked.Read(ref ProcEventsLost));
        foreach (var r in Enum.GetValues<Audit.MalformedReason>())
            if (r != Audit.MalformedReason.None && Interlocked.Read(ref _byReason[(int)r]) is var n && n > 0)
                yield return new("malformed." + char.ToLowerInvariant(r.ToString()[0]) + r.ToString()[1..], n);
    }
}
