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
    /// <summary>Feed events that were never delivered (<see cref="FleetEvent.Dropped"/> of them), and where they were lost (<see cref="FleetEvent.Reason"/>).</summary>
    public const string Dropped = "dropped";
    /// <summary>The last event of a stream whose client read too slowly: the aggregator closes it (<see cref="FleetEvent.Dropped"/> events not sent).</summary>
    public const string Overflow = "overflow";
}

/// <summary>
/// One change across the fleet: an exec or an exit as the host's agent applied it to its tree (<see cref="At"/> is the
/// kernel's event time, <see cref="ReceivedAt"/> the agent's clock, <see cref="Seq"/> the host's feed number), a
/// container start/stop or a host status change (derived by the aggregator, at its time), or a notice of loss
/// (<see cref="FleetEventKinds.Dropped"/>, <see cref="FleetEventKinds.Overflow"/>).
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
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool ArgvTruncated { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DateTimeOffset? ReceivedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Seq { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ExitCode { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Signal { get; init; }
    /// <summary>Exits: exit, killed, reaped, crashed, exit-reported, teardown, pid-reused, proc.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Cause { get; init; }
    /// <summary>dropped, overflow: how many events were not delivered.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Dropped { get; init; }
}
