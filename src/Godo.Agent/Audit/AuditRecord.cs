using System.Text;

namespace Godo.Agent.Audit;

/// <summary>
/// One audit record: its header (type, event time, serial) and the raw field bytes that follow
/// "audit(...): ". Fields are decoded lazily, only for the record types the tree needs (empty for the others).
/// </summary>
public readonly record struct AuditRecord(int Type, long TimeMs, long Serial, ReadOnlyMemory<byte> Body)
{
    /// <summary>The body as text (audit text is printable ASCII), or null for a type whose body is not kept. Test seam: tests read records as text.</summary>
    public string? BodyText => AuditLineParser.NeedsBody(Type) ? Encoding.Latin1.GetString(Body.Span) : null;
}
