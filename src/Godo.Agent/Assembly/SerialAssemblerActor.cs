using System.Collections.Immutable;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Assembly;

/// <summary>
/// Gathers the records of one audit serial at a time. Assemblers are pooled by the router and reused for
/// serial after serial: creating an actor per event caps the pipeline near 50 k events/s.
/// </summary>
public sealed class SerialAssemblerActor : ReceiveActor
{
    private readonly List<AuditRecord> _records = new(8);
    private readonly PipelineStats _stats;

    public SerialAssemblerActor(IActorRef tree, PipelineStats stats)
    {
        _stats = stats;
        Receive<Gather>(g => _records.AddRange(g.Records.AsSpan()));
        Receive<CompleteBatch>(batch =>
        {
            var events = ImmutableArray.CreateBuilder<AuditEvent>(batch.Items.Length);
            foreach (var c in batch.Items) events.Add(Build(c));
            tree.Tell(new TreeProtocol.AssembledEvents(events.MoveToImmutable()));
        });
    }

    private AuditEvent Build(Complete c)
    {
        // Most events arrive whole with their Complete: build straight from it, no copy. Records gathered before
        // belong to the first Complete of a batch (the serial this assembler was rented for).
        ReadOnlySpan<AuditRecord> records;
        if (_records.Count == 0) records = c.Records.AsSpan();
        else
        {
            _records.AddRange(c.Records.AsSpan());
            records = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_records);
        }
        var e = AuditEventBuilder.Build(c.Serial, records, c.EndedByEoe, out var malformed, c.Sequence);
        if (malformed) Interlocked.Increment(ref _stats.MalformedEvents);
        _records.Clear();
        return e;
    }

    public static Props Props(IActorRef tree, PipelineStats stats) => Akka.Actor.Props.Create(() => new SerialAssemblerActor(tree, stats));
}
