namespace Godo.Aggregator.Fleet;

/// <summary>Timing rules of the fleet state (the part of <see cref="AggregatorSettings"/> the merge logic needs; the defaults are there).</summary>
public sealed record FleetOptions
{
    /// <summary>A host with no heartbeat for this long is stale (agents send one every 2 s).</summary>
    public required TimeSpan StaleAfter { get; init; }
    /// <summary>A host with no heartbeat for this long is down.</summary>
    public required TimeSpan DownAfter { get; init; }
    /// <summary>How long a down host stays visible.</summary>
    public required TimeSpan Retention { get; init; }
    /// <summary>How long a down host's whole tree is kept; then only its summary (counts, containers, last seen).</summary>
    public TimeSpan TreeRetention { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>A snapshot whose pieces stop coming for this long is dropped.</summary>
    public TimeSpan SnapshotAssemblyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Applied to every process received, whatever the agent applied (an old or hostile one).</summary>
    public Godo.Messages.Model.ProcessCaps Caps { get; init; } = Godo.Messages.Model.ProcessCaps.Default;
    /// <summary>At most one snapshot request per host this often (a burst of deltas after a gap asks once).</summary>
    public required TimeSpan SnapshotRetry { get; init; }
    /// <summary>
    /// A ClusterClient reported unreachable only downs hosts not heard from for this long: the client may just have
    /// moved to another receptionist while its agent lives on.
    /// </summary>
    public TimeSpan UnreachableGrace { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>
    /// A host whose ClusterClient went unreachable is stale until it has been silent this long, then down: an agent
    /// restarted by its supervisor (systemd's Restart=, a container's restart policy) within 10 s comes back with a
    /// new snapshot before that, and the host is never shown down meanwhile.
    /// </summary>
    public TimeSpan RestartGrace { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// Under TLS: the fleet CA, against which a new incarnation's snapshot must prove its host
    /// (<see cref="Godo.Messages.Security.AgentProof"/>). Null: the incarnation that holds an up host keeps it.
    /// </summary>
    public Godo.Messages.Security.FleetTrust? Trust { get; init; }
}
