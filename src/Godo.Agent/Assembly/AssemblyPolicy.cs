using System.Runtime.CompilerServices;
using Godo.Agent.Audit;

namespace Godo.Agent.Assembly;

public enum RecordDisposition
{
    /// <summary>First record of a new serial.</summary>
    Started,
    /// <summary>Another record of a serial already open.</summary>
    Continued,
    /// <summary>A standalone record: an event by itself, complete at once (not opened).</summary>
    Standalone,
    /// <summary>A record for a serial that was already completed; it cannot join its event any more.</summary>
    Late,
}

/// <summary>
/// Decides when the events of an audit stream are complete: on EOE, on a standalone record type, when newer
/// serials have moved past the reorder window, when the event-time timeout has passed, or when too many are open.
/// Pure bookkeeping of serials; where the records are gathered is the caller's business (pooled assembler actors,
/// or a plain dictionary in <see cref="EventAssembler"/>).
/// </summary>
public sealed class AssemblyPolicy(AssemblyOptions options)
{
    private sealed class Open(long serial, long arrival, long lastTimeMs)
    {
        public readonly long Serial = serial;
        public readonly long Arrival = arrival;
        public long LastTimeMs = lastTimeMs;
        public bool Done;
    }

    private readonly Dictionary<long, Open> _open = new();
    private readonly Queue<Open> _order = new();
    private readonly HashSet<long> _recent = new();
    private readonly Queue<long> _recentOrder = new();
    // The serial of the last record offered, while open: most records follow one of their own serial.
    private Open? _last;
    private long _arrivals;
    private long _newestTimeMs;

    public AssemblyOptions Options => options;
    /// <summary>Serials still open. Test seam: tests check that completed serials are let go.</summary>
    public int InFlight => _open.Count;
    public long CompletedWithoutEoe { get; private set; }
    public long LateRecords { get; private set; }

    /// <summary>
    /// Accounts for one record. Serials that must be completed because of it are appended to <paramref name="complete"/>
    /// in order, each with whether EOE ended it; for an EOE the record's own serial comes last.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public RecordDisposition Offer(in AuditRecord r, List<(long Serial, bool Eoe)> complete)
    {
        if (r.TimeMs > _newestTimeMs) _newestTimeMs = r.TimeMs;
        RecordDisposition d;
        var open = _last is { Done: false } last && last.Serial == r.Serial ? last : null;
        if (open is not null || _open.TryGetValue(r.Serial, out open))
        {
            _last = open;
            if (r.TimeMs > open.LastTimeMs) open.LastTimeMs = r.TimeMs;
            d = RecordDisposition.Continued;
            if (r.Type == AuditRecordType.Eoe)
            {
                Close(open);
                complete.Add((r.Serial, true));
            }
        }
        else if (_recent.Contains(r.Serial))
        {
            LateRecords++;
            return RecordDisposition.Late;
        }
        else if (r.Type == AuditRecordType.Eoe)
        {
            LateRecords++; // an EOE whose event was already flushed
            return RecordDisposition.Late;
        }
        else if (AuditRecordType.IsStandalone(r.Type))
        {
            Remember(r.Serial);
            d = RecordDisposition.Standalone;
        }
        else
        {
            open = new Open(r.Serial, ++_arrivals, r.TimeMs);
            _open[r.Serial] = open;
            _order.Enqueue(open);
            _last = open;
            d = RecordDisposition.Started;
        }
        FlushDue(_newestTimeMs, complete, exceptSerial: r.Serial);
        return d;
    }

    /// <summary>Completes events whose timeout has passed by <paramref name="nowMs"/> (live streams call this on a timer).</summary>
    public void Tick(long nowMs, List<(long, bool)> complete) =>
        // The stream's own clock is left alone: only its records move it (a wall clock a day ahead of an old log's
        // time would otherwise cut every later event at the next serial, interleaved records and all).
        FlushDue(Math.Max(_newestTimeMs, nowMs), complete, exceptSerial: -1);

    /// <summary>Event time of the newest record offered.</summary>
    public long NewestTimeMs => _newestTimeMs;

    /// <summary>End of input: everything open is complete.</summary>
    public void FlushAll(List<(long, bool)> complete)
    {
        while (_order.TryDequeue(out var o))
            if (!o.Done) { Close(o); CompletedWithoutEoe++; complete.Add((o.Serial, false)); }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void FlushDue(long nowMs, List<(long, bool)> complete, long exceptSerial)
    {
        while (_order.TryPeek(out var head))
        {
            if (head.Done) { _order.Dequeue(); continue; }
            var due = _arrivals - head.Arrival >= options.ReorderWindow
                      || nowMs - head.LastTimeMs >= options.EventTimeoutMs
                      || _open.Count > options.MaxInFlight;
            if (!due || head.Serial == exceptSerial && _open.Count <= options.MaxInFlight) break;
            _order.Dequeue();
            Close(head);
            CompletedWithoutEoe++;
            complete.Add((head.Serial, false));
        }
    }

    private void Close(Open o)
    {
        o.Done = true;
        _open.Remove(o.Serial);
        Remember(o.Serial);
    }

    private void Remember(long serial)
    {
        if (!_recent.Add(serial)) return;
        _recentOrder.Enqueue(serial);
        while (_recentOrder.Count > options.RecentCompletedCapacity) _recent.Remove(_recentOrder.Dequeue());
    }
}
