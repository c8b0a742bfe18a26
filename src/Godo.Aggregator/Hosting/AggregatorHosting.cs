using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.History;
using Godo.Aggregator.Ingest;
using Godo.Aggregator.Storage;
using Godo.Aggregator.Ops;
using Godo.Messages;
using Godo.Messages.Api;
using Godo.Messages.Security;
using Godo.Messages.Supervision;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Hosting;

public static class AggregatorHosting
{
    /// <summary>hocon/aggregator.conf, embedded.</summary>
    public static Config Hocon => ConfigurationFactory.FromResource<AggregatorSettings>("Godo.Aggregator.aggregator.conf");

    /// <summary>
    /// Makes this ActorSystem an aggregator: a cluster member with role <c>aggregator</c> (seed nodes from the settings,
    /// or a cluster of its own when there are none), keep-majority split brain resolver, graceful leave through
    /// CoordinatedShutdown (Akka.Hosting runs it when the host stops), the godo wire serializer, a ClusterClient
    /// receptionist with <c>/user/agent-ingest</c> registered in front of the host entities (sharded, persisted in
    /// the store of <see cref="AggregatorSettings.Storage"/>), and the health checks. The ActorSystem must be named
    /// <see cref="GodoConstants.ActorSystemName"/> ("godo"): agents and seeds address it by that name. The actors take
    /// the state they share with the HTTP side from the services (<see cref="AggregatorServices.AddAggregatorState"/>).
    /// </summary>
    public static AkkaConfigurationBuilder AddAggregator(this AkkaConfigurationBuilder builder, AggregatorSettings settings)
    {
        foreach (var seed in settings.Seeds) ParseSeed(seed);
        ValidateRemoting(settings);
        var tls = settings.Tls is not null;
        builder
            .AddGodoWireSerializer()
            .WithGodoPersistence(settings.Storage)
            // Members reach each other's cluster daemon, heartbeat receiver and pub-sub mediator, agents the
            // receptionist; under TLS an aggregator's peers are aggregators and agents of the fleet CA.
            .AddRemotingSecurity(settings.Tls, [FleetRole.Aggregator, FleetRole.Agent], RemotingSecurity.MemberPaths)
            .AddHocon(Hocon, HoconAddMode.Append)
            .WithRemoting(new RemoteOptions
            {
                HostName = settings.RemoteHost,
                Port = settings.RemotePort,
                PublicHostName = string.IsNullOrEmpty(settings.PublicHost) ? null : settings.PublicHost,
                MaxFrameSize = settings.MaxFrameSize,
                SendBufferSize = Math.Max(settings.MaxFrameSize * 2, 256_000),
                ReceiveBufferSize = Math.Max(settings.MaxFrameSize * 2, 256_000),
            })
            .WithClustering(new ClusterOptions
            {
                Roles = [GodoConstants.AggregatorRole],
                SeedNodes = settings.Seeds.Select(seed => RemotingSecurity.InScheme(seed, tls)).ToArray(),
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .WithDistributedPubSub(GodoConstants.AggregatorRole)
            .WithClusterClientReceptionist("receptionist", GodoConstants.AggregatorRole)
            .WithActorSystemLivenessCheck()
            .WithAkkaClusterReadinessCheck()
            .WithActors((system, _) =>
            {
                if (system.Name != GodoConstants.ActorSystemName)
                    throw new AggregatorConfigException($"an aggregator's ActorSystem must be named '{GodoConstants.ActorSystemName}', not '{system.Name}'");
            })
            .AddStoreWriteCheck()
            .AddHistoryWriter(settings.Storage.HistoryOptions() with { Caps = settings.Fleet.Caps })
            .AddHostShards(settings)
            .AddAgentIngestActor()
            .WatchCritical<AgentIngestActor>("the agent ingest")
            .AddClusterEventsActor()
            .AddCrashedMemberDowning(settings.DownCrashedMembers)
            .WithActors((system, _) =>
            {
                var cluster = Cluster.Get(system);
                if (settings.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
            });
        if (!string.IsNullOrWhiteSpace(settings.ExtraHocon)) builder.AddHocon(settings.ExtraHocon, HoconAddMode.Prepend);
        return builder;
    }

    /// <summary>
    /// Remoting off loopback is the cluster's front door: without TLS anyone who reaches it can join, feed hosts and
    /// down members, so it needs certificates or an explicit --insecure-remoting (the way the API needs a token).
    /// </summary>
    public static void ValidateRemoting(AggregatorSettings settings)
    {
        if (settings.Tls is not null || settings.InsecureRemoting || IsLoopback(settings.RemoteHost)) return;
        throw new AggregatorConfigException($"refusing remoting on {settings.RemoteHost} without TLS: anyone who reaches it could join the cluster. " +
                                            "Give --tls-cert, --tls-key and --tls-ca (see `godo certs`), or --insecure-remoting on a trusted network, or bind to 127.0.0.1");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>A seed as given by users: akka.tcp://godo@H:P (a trailing slash is fine).</summary>
    public static Address ParseSeed(string seed) =>
        MemberAddress.Problem(seed, "seed", out var address) is { } problem ? throw new AggregatorConfigException(problem) : address!;
}
