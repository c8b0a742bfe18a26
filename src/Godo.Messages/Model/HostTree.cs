using System.Collections.Immutable;

namespace Godo.Messages.Model;

/// <summary>
/// The tree of one host at one moment: the document `godo replay --json` prints and
/// `GET /api/hosts/{host}/tree` serves.
/// </summary>
public sealed record HostTree
{
    public required string Host { get; init; }
    public required DateTimeOffset AsOf { get; init; }
    /// <summary>The kernel time of the last event applied, when it differs in meaning from <see cref="AsOf"/> (a live agent's snapshot for aggregators); absent otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? EventTime { get; init; }
    public ImmutableArray<ProcessInfo> Processes { get; init; } = ImmutableArray<ProcessInfo>.Empty;
    public ImmutableArray<ContainerInfo> Containers { get; init; } = ImmutableArray<ContainerInfo>.Empty;
    /// <summary>Counters of whoever built the tree (replay, agent, aggregator), sorted by name so the document is stable.</summary>
    public ImmutableSortedDictionary<string, long> Stats { get; init; } = ImmutableSortedDictionary<string, long>.Empty;
}
