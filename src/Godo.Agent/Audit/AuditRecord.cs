namespace Godo.Agent.Audit;

/// <summary>
/// One audit record: its header (type, event time, serial) and the raw field text that follows
/// "audit(...): ". Fields are decoded lazily, only for the record types the tree needs.
/// </summary>
public readonly record struct AuditRecord(int Type, long TimeMs, long Serial, string? Body);
