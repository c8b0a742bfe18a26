using System.Collections.Immutable;
using Godo.Agent.Audit;

namespace Godo.Agent.Assembly;

/// <summary>Messages of the assembly stage (local only, never on the wire).</summary>
public static class AssemblyProtocol
{
    /// <summary>Parsed records, in stream order, from the receiver thread or a file reader.</summary>
    public sealed record RecordBatch(ImmutableArray<AuditRecord> Records);

    /// <summary>The source is exhausted: complete everything open, then tell the tree how many events there were.</summary>
    public sealed record EndOfStream;

    /// <summary>Periodic tick for live streams, so a quiet stream still completes its events by timeout.</summary>
    public sealed record Tick;

    /// <summary>One complete serial of a <see cref="CompleteBatch"/>: its records are <c>Records[Start..Start+Count]</c>, in stream order.</summary>
    public readonly record struct CompleteSerial(long Serial, long Sequence, bool EndedByEoe, int Start, int Count);

    /// <summary>
    /// Router → assembler: serials that are complete, with consecutive sequence numbers, and all their records in one
    /// array. One message per assembler per record batch, and no array per event: at a few hundred thousand events a
    /// second, per-event messages and allocations were most of the pipeline's cost.
    /// </summary>
    public sealed record CompleteBatch(ImmutableArray<AuditRecord> Records, ImmutableArray<CompleteSerial> Serials);
}
