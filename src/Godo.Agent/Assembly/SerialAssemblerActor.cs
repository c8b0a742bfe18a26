using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Assembly;

/// <summary>
/// Builds the events of complete serials, a run of consecutive sequences at a time, and hands them to the tree in
/// one message. Assemblers are pooled by the router and reused batch after batch: creating an actor per event caps
/// the pipeline near 50 k events/s.
/// </summary>
public sealed class SerialAssemblerActor : ReceiveActor
{
    public SerialAssemblerActor(IActorRef tree, PipelineStats stats)
    {
        Receive<CompleteBatch>(batch =>
        {
            var records = batch.Records.AsSpan();
            var events = new AuditEvent[batch.Serials.Length];
            var malformed = 0;
            for (var i = 0; i < events.Length; i++)
            {
                var c = batch.Serials[i];
                events[i] = AuditEventBuilder.Build(c.Serial, records.Slice(c.Start, c.Count), c.EndedByEoe, out var bad, c.Sequence);
                if (bad) malformed++;
            }
            if (malformed > 0) Interlocked.Add(ref stats.MalformedEvents, malformed);
            tree.Tell(new TreeProtocol.AssembledEvents(ImmutableCollectionsMarshal.AsImmutableArray(events)));
        });
    }

    public static Props Props(IActorRef tree, PipelineStats stats) => Akka.Actor.Props.Create(() => new SerialAssemblerActor(tree, stats));
}
