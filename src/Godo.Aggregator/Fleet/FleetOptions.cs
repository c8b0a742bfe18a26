namespace Godo.Aggregator.Fleet;

/// <summary>Timing rules of the fleet state (the part of <see cref="AggregatorSettings"/> the merge logic needs).</summary>
public sealed record FleetOptions
{
    /// <summary>A host with no heartbeat for this long is stale (agents send one every 2 s).</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(6);
    /// <summary>A host with no heartbeat for this long is down.</summary>
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a down host stays visible.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);
    /// <summary>At most one snapshot request per host this often (a burst of deltas after a gap asks once).</summary>
    public TimeSpan SnapshotRetry { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>
    /// A ClusterClient reported unreachable only downs hosts not heard from for this long: the client may just have
    /// moved to another receptionist while its agent lives on.
    /// </summary>
    public TimeSpan UnreachableGrace { get; init; } = TimeSpan.FromSeconds(3);
}
