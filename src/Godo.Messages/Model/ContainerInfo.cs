using System.Collections.Immutable;

namespace Godo.Messages.Model;

/// <summary>A container on one host. Name/image come from Docker when it is reachable, else stay null.</summary>
public sealed record ContainerInfo
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Image { get; init; }
    public int? InitPid { get; init; }
    public int? ShimPid { get; init; }
    public int ProcessCount { get; init; }
    /// <summary>running, exited, ... as Docker says; "running" when only the audit lineage is known.</summary>
    public string? State { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;
}
