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

    /// <summary>Router → assembler: more records of the serial it is gathering.</summary>
    public sealed record Gather(ImmutableArray<AuditRecord> Records);

    /// <summary>One serial that is complete: build the event, stamp it with its sequence, hand it on.</summary>
    public sealed record Complete(long Serial, long Sequence, bool EndedByEoe, ImmutableArray<AuditRecord> Records);

    /// <summary>
    /// Router → assembler: the serials this assembler finished within one record batch, in order (it is reused as
    /// soon as one is complete). One message per assembler per batch, not one per event: at a few hundred thousand
    /// events a second, per-event messages were most of the pipeline's cost.
    /// </summary>
    public sealed record CompleteBatch(ImmutableArray<Complete> Items);
}
