using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Godo.Messages.Wire;

namespace Godo.Messages.Api;

/// <summary>One row of `GET /api/hosts` (and `GET /api/hosts/{host}`).</summary>
public sealed record HostSummary
{
    public required string Host { get; init; }
    public HostStatus Status { get; init; }
    public string? StatusReason { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    public DateTimeOffset? DownSince { get; init; }
    public DateTimeOffset AsOf { get; init; }
    public int ProcessCount { get; init; }
    public int ContainerCount { get; init; }
    public long Sequence { get; init; }
    public string? AgentAddress { get; init; }
    public bool AwaitingSnapshot { get; init; }
    /// <summary>The host has been down long enough that only this summary is kept: its tree comes back with its agent.</summary>
    public bool TreeReleased { get; init; }
    /// <summary>Where the host's agent learns of exits: "audit", plus "proc-events" while its kernel connector is open.</summary>
    public ImmutableArray<string> ExitSources { get; init; } = [];
    public AgentStats Stats { get; init; } = new();
    /// <summary>Another agent claims this host and is refused (null: none lately).</summary>
    public HostConflict? Conflict { get; init; }
    /// <summary>The host's agent proved its name with a fleet certificate (TLS).</summary>
    public bool Verified { get; init; }
    /// <summary>The aggregator (member address) whose entity holds this host's tree.</summary>
    public string? HeldBy { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<HostStatus>))]
public enum HostStatus
{
    /// <summary>Heartbeats arrive.</summary>
    [JsonStringEnumMemberName("up")] Up,
    /// <summary>No heartbeat for a while (the aggregator's stale-after, 6 s by default).</summary>
    [JsonStringEnumMemberName("stale")] Stale,
    /// <summary>The agent's ClusterClient went unreachable, or it was stale beyond down-after; kept for the retention.</summary>
    [JsonStringEnumMemberName("down")] Down,
}
