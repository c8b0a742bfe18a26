namespace Godo.Messages.Api;

/// <summary>
/// Another agent claims a host this aggregator already follows, and is refused (a cloned machine with the same name,
/// or an impostor): shown in `GET /api/hosts`, `godo hosts` and the dashboard until it has been quiet for a while.
/// </summary>
public sealed record HostConflict
{
    public required string Reason { get; init; }
    /// <summary>The refused agent's Akka address, when it gave one.</summary>
    public string? AgentAddress { get; init; }
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>Messages refused so far.</summary>
    public long Refused { get; init; }
}
