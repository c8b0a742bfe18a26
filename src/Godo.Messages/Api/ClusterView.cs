namespace Godo.Messages.Api;

/// <summary>`GET /api/cluster` (pbm's `cluster show`): members, leader, unreachable, and the agents feeding the fleet.</summary>
public sealed record ClusterView(string Self, string? Leader, string SelfStatus, IReadOnlyList<ClusterMemberView> Members,
    IReadOnlyList<string> Unreachable, IReadOnlyList<AgentView> Agents);

public sealed record ClusterMemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, bool Leader, bool Self, string AppVersion);

public sealed record AgentView(string Host, string? Address, string Status, string? Version, DateTimeOffset? StartedAt, double? UptimeSeconds,
    DateTimeOffset LastSeen, string? Source, bool ConnectedHere);

/// <summary>The body `POST /api/cluster/leave|down` may carry instead of ?address=.</summary>
public sealed record AddressRequest(string? Address);

/// <summary>The answer of `POST /api/cluster/leave|down`.</summary>
public sealed record ClusterActionResult(string Action, string Address);

/// <summary>One event of `GET /api/cluster/events` (`godo cluster tail`): a membership or reachability change seen by an aggregator.</summary>
public sealed record ClusterEventInfo(string Kind, string Address, IReadOnlyList<string> Roles, string? Status, DateTimeOffset At);
