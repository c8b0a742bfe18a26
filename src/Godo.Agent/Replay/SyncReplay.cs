using Godo.Agent.Assembly;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;

namespace Godo.Agent.Replay;

/// <summary>
/// Parser, assembly and tree on one thread, with a hook after every applied event. Tests use it to stop at
/// many checkpoints in one pass; `godo replay` runs the same pieces through the actor pipeline.
/// </summary>
public sealed class SyncReplay(AssemblyOptions? options = null)
{
    public ProcessTree Tree { get; } = new();
    /// <summary>As `godo replay --until`: events past this event time (by <see cref="EventCut"/>'s rule) are not applied.</summary>
    public long? UntilMs { get => _cut.UntilMs; init => _cut = new EventCut(value); }
    private readonly EventCut _cut = new(null);
    public PipelineStats Stats { get; } = new();
    private readonly EventAssembler _assembler = new(options ?? new AssemblyOptions());
    private readonly List<AuditEvent> _events = new();
    private readonly BodyArena _arena = new();

    /// <summary>Called before each event is applied, so a caller can look at the tree as of just before it.</summary>
    public Action<AuditEvent, ProcessTree>? BeforeApply { get; set; }
    public Action<AuditEvent, ProcessTree>? AfterApply { get; set; }

    public async Task RunAsync(Stream input, CancellationToken ct = default)
    {
        var reader = new AuditLineReader(input);
        await reader.ReadAllAsync(OnLine, () => { Stats.Lines++; Stats.CountMalformed(MalformedReason.Oversized); }, ct);
        _assembler.FlushAll(_events);
        Drain();
        Stats.EventsWithoutEoe = _assembler.Policy.CompletedWithoutEoe;
        Stats.LateRecords = _assembler.Policy.LateRecords;
        Stats.MalformedEvents = _assembler.MalformedEvents;
    }

    private void OnLine(ReadOnlySpan<byte> line)
    {
        Stats.Lines++;
        var why = AuditLineParser.TryParseLine(line, out var rec, _arena);
        if (why != MalformedReason.None)
        {
            if (why != MalformedReason.Empty) Stats.CountMalformed(why);
            return;
        }
        Stats.Records++;
        _assembler.Offer(rec, _events);
        Drain();
    }

    private void Drain()
    {
        foreach (var e in _events)
        {
            Stats.Events++;
            if (!_cut.Admits(e)) { Tree.Stats.EventsSkipped++; continue; }
            BeforeApply?.Invoke(e, Tree);
            Tree.Apply(e);
            AfterApply?.Invoke(e, Tree);
        }
        _events.Clear();
    }
}
