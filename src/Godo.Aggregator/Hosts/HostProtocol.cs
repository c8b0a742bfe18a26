using Akka.Cluster.Sharding;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Hosts;

/// <summary>What a host's entity takes besides the agents' own messages, and how the shard region finds it.</summary>
public static class HostProtocol
{
    /// <summary>The entity's own clock: status sweep, snapshot assembly timeout, directory refresh, Akka snapshots.</summary>
    public sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>Entity id = host name; the shard by a stable hash of it.</summary>
    public sealed class MessageExtractor(int shards) : HashCodeMessageExtractor(shards)
    {
        public override string? EntityId(object message) => message switch
        {
            IHostMessage m => m.Host,
            InProcessMessage m => m.Message.Host,
            HostTreeQuery q => q.Host,
            HostAgentLost l => l.Host,
            _ => null,
        };
    }
}

/// <summary>How often a host's entity takes its own Akka snapshot, and tells the directory about itself.</summary>
public sealed record HostEntityOptions
{
    /// <summary>An Akka snapshot after this many persisted events...</summary>
    public int SnapshotEvery { get; init; } = 500;
    /// <summary>...or this long after the last one, whichever comes first (when anything was persisted since).</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Changes of counters (last seen, stats) reach the directory at most this often; status and containers at once.</summary>
    public TimeSpan DirectoryInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>An unchanged entry is published again this often, so a member that joins (or lost one) learns every host.</summary>
    public TimeSpan DirectoryRefresh { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>An entity that learned of no host (a stray query or a refused claim) stops after this.</summary>
    public TimeSpan IdleUnknown { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>
    /// Shards of the host entities: hosts spread over the members by shard. 24 divides evenly over 1, 2, 3, 4, 6 and 8
    /// members; fewer shards mean fewer allocations when a member fails (the coordinator writes them one at a time:
    /// ~0.1 s each on a saturated machine), more mean a finer spread.
    /// </summary>
    public int Shards { get; init; } = 24;
}
