using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Godo.Messages.Api;

/// <summary>What the fleet event feed (`GET /api/events`, `godo events`) carries.</summary>
public static class FleetEventKinds
{
    public const string Exec = "exec";
    public const string Exit = "exit";
    public const string ContainerStart = "container-start";
    public const string ContainerStop = "container-stop";
    public const string HostUp = "host-up";
    public const string HostStale = "host-stale";
    public const string HostDown = "host-down";
    public const string HostRemoved = "host-removed";
}

/// <summary>
/// One change across the fleet, derived by an aggregator from the deltas it applies: an exec (a process upsert with a
/// new pid or a new argv/exe), an exit, a container start/stop, or a host status change.
/// </summary>
public sealed record FleetEvent
{
    public required string Kind { get; init; }
    public required string Host { get; init; }
    public required DateTimeOffset At { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Pid { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Ppid { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Exe { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ImmutableArray<string> Argv { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Uid { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Container { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ContainerName { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Image { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Reason { get; init; }
}
