using Akka.Actor;
using Akka.Hosting;
using Godo.Aggregator.Hosting;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.Clustering;

/// <summary>The final config of an aggregator (typed options + hocon/aggregator.conf), checked like DrawTogether's sanity spec.</summary>
public sealed class AggregatorConfigSpec
{
    [Fact]
    public async Task Final_aggregator_config_binds_the_wire_serializer_and_sets_the_cluster_up()
    {
        await using var node = await AggregatorNode.StartAsync();
        var system = (ExtendedActorSystem)node.System;
        var config = system.Settings.Config;

        // every wire message goes through the godo serializer, never the default (Newtonsoft) one
        foreach (var type in GodoWireSerializer.Manifests.Keys)
        {
            var serializer = system.Serialization.FindSerializerForType(type);
            Assert.IsType<GodoWireSerializer>(serializer);
            Assert.Equal(GodoWireSerializer.SerializerId, serializer.Identifier);
        }
        Assert.Equal(GodoConstants.ActorSystemName, system.Name);

        Assert.Contains("Cluster", system.Settings.ProviderClass);
        Assert.Equal([GodoConstants.AggregatorRole], config.GetStringList("akka.cluster.roles"));
        Assert.Contains("SplitBrainResolverProvider", config.GetString("akka.cluster.downing-provider-class"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        // failover within 15 s (~9 s quiet): unreachable ~3.5 s after a crash, downed 2 s later, shards moved 1 s after
        // the removal (not stable-after again)
        Assert.Equal(TimeSpan.FromSeconds(2), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(TimeSpan.FromSeconds(2), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.True(config.GetBoolean("akka.cluster.split-brain-resolver.down-all-when-unstable"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.down-removal-margin"));
        Assert.Equal(GodoConstants.AggregatorRole, config.GetString("akka.cluster.client.receptionist.role"));
        Assert.Equal(GodoConstants.AggregatorRole, config.GetString("akka.cluster.pub-sub.role"));
        Assert.Equal(TimeSpan.FromSeconds(4), config.GetTimeSpan("akka.cluster.client.receptionist.acceptable-heartbeat-pause"));
        // graceful leave: Akka.Hosting runs CoordinatedShutdown (cluster-leave phase) when the host stops
        Assert.True(config.GetBoolean("akka.coordinated-shutdown.terminate-actor-system"));
        Assert.True(config.GetBoolean("akka.cluster.run-coordinated-shutdown-when-down"));
        Assert.True(config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") >= 16 * 1024 * 1024);

        // the ingest actor is where agents send, and the registry knows it
        var ingest = await system.ActorSelection(GodoConstants.AgentIngestPath).ResolveOne(TimeSpan.FromSeconds(3));
        Assert.Equal(ingest, node.App.Services.GetService(typeof(ActorRegistry)) is ActorRegistry r ? r.Get<Godo.Aggregator.Ingest.AgentIngestActor>() : null);
    }

    [Fact]
    public void Seeds_must_name_the_godo_system_with_host_and_port()
    {
        Assert.Equal(4053, AggregatorHosting.ParseSeed("akka.tcp://godo@127.0.0.1:4053/").Port);
        Assert.Throws<AggregatorConfigException>(() => AggregatorHosting.ParseSeed("akka.tcp://other@127.0.0.1:4053"));
        Assert.Throws<AggregatorConfigException>(() => AggregatorHosting.ParseSeed("127.0.0.1:4053"));
    }
}
