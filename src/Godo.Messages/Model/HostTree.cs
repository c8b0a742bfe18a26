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
    public ImmutableArray<ProcessInfo> Processes { get; init; } = ImmutableArray<ProcessInfo>.Empty;
    public ImmutableArray<ContainerInfo> Containers { get; init; } = ImmutableArray<ContainerInfo>.Empty;
    public ImmutableDictionary<string, long> Stats { get; init; } = ImmutableDictionary<string, long>.Empty;
}
