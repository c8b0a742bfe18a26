using Godo.Agent.Audit;

namespace Godo.Agent.Assembly;

/// <summary>
/// Single-threaded assembly (policy + record storage) for tests and tools; the agent's pipeline does the
/// same with pooled assembler actors.
/// </summary>
public sealed class EventAssembler(AssemblyOptions options)
{
    private readonly AssemblyPolicy _policy = new(options);
    private readonly Dictionary<long, List<AuditRecord>> _records = new();
    private readonly List<(long Serial, bool Eoe)> _complete = new();
    private long _sequence;

    public AssemblyPolicy Policy => _policy;
    public long MalformedEvents { get; private set; }

    public void Offer(in AuditRecord r, List<AuditEvent> output)
    {
        _complete.Clear();
        switch (_policy.Offer(r, _complete))
        {
            case RecordDisposition.Started:
                _records[r.Serial] = [r];
                break;
            case RecordDisposition.Continued:
                _records[r.Serial].Add(r);
                break;
            case RecordDisposition.Standalone:
                output.Add(Build(r.Serial, [r], false));
                break;
            case RecordDisposition.Late:
                if (r.Type != AuditRecordType.Eoe) output.Add(Build(r.Serial, [r], false));
                break;
        }
        Drain(output);
    }

    public void Tick(long nowMs, List<AuditEvent> output) { _complete.Clear(); _policy.Tick(nowMs, _complete); Drain(output); }

    public void FlushAll(List<AuditEvent> output) { _complete.Clear(); _policy.FlushAll(_complete); Drain(output); }

    private void Drain(List<AuditEvent> output)
    {
        foreach (var (serial, eoe) in _complete)
            if (_records.Remove(serial, out var recs)) output.Add(Build(serial, recs, eoe));
    }

    private AuditEvent Build(long serial, List<AuditRecord> recs, bool eoe)
    {
        var e = AuditEventBuilder.Build(serial, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(recs), eoe, out var malformed, ++_sequence);
        if (malformed) MalformedEvents++;
        return e;
    }
}
