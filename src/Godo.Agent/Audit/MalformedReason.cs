namespace Godo.Agent.Audit;

/// <summary>Why a line was rejected. Every rejection is counted; none stops the stream.</summary>
public enum MalformedReason
{
    None = 0,
    Empty,
    NoType,
    UnknownType,
    NoHeader,
    BadTimestamp,
    BadSerial,
    Oversized,
    Binary,
    BadFields,
}
