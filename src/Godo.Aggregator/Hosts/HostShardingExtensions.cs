using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Godo.Messages;

namespace Godo.Aggregator.Hosts;

/// <summary>Registry key of the host entities' shard region.</summary>
public sealed class HostRegion;

public static class HostShardingExtensions
{
    /// <summary>
    /// The host entities' shard region (<c>/system/sharding/host</c>) over the members with role <c>aggregator</c>,
    /// registered under <see cref="HostRegion"/>. Entities are not remembered: each comes back (recovered from the journal)
    /// with the next message for its host, the agent's heartbeat within 2 s or a query, so no journal write or read stands
    /// between a member and its shards. And <c>/user/host-directory</c>, which fills this member's directory.
    /// The coordinator keeps its state (which region holds which shard) in the journal, not in distributed data: after a
    /// member fails it allocates the lost shards one at a time, each after its state is written, and a write to the
    /// store took ~0.1 s on a saturated 2-core machine where a majority write over the members' remoting links (queued
    /// behind trees and snapshots) took ~0.4 s: 7 s for 18 shards at 200 hosts x 500 processes (bench/fleet-memory.sh).
    /// </summary>
    public static AkkaConfigurationBuilder AddHostShards(this AkkaConfigurationBuilder builder, AggregatorSettings settings) => builder
        .WithShardRegion<HostRegion>(GodoConstants.HostShardTypeName,
            (_, _, resolver) => host => resolver.Props<HostEntity>(host),
            new HostProtocol.MessageExtractor(settings.Hosts.Shards),
            new ShardOptions
            {
                Role = GodoConstants.AggregatorRole,
                RememberEntities = false,
                StateStoreMode = StateStoreMode.Persistence,
            })
        .WithActors((system, registry, resolver) =>
            registry.Register<HostDirectoryActor>(system.ActorOf(resolver.Props<HostDirectoryActor>(), "host-directory")));
}
