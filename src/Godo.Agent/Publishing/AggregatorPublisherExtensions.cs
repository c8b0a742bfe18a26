using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Godo.Agent.Tree;
using Godo.Messages.Security;
using Godo.Messages.Supervision;
using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>Registry key of the agent's ClusterClient to the aggregators.</summary>
public sealed class AggregatorClientKey;

public static class AggregatorPublisherExtensions
{
    public const string ActorName = "aggregator-publisher";

    /// <summary>
    /// ClusterClient timings matched to the aggregators' receptionists (hocon/aggregator.conf): the client notices a
    /// dead aggregator in ~6 s and moves on; a new agent finds a receptionist within a second. Its heartbeat goes every
    /// 2 s, as the publisher's own (the two fire together, see DeadlineScheduler.GridFor): at 1 s it was most of what
    /// an idle agent and its aggregator woke for.
    /// </summary>
    public const string ClientHocon = """
        akka.cluster.client {
          heartbeat-interval = 2s
          acceptable-heartbeat-pause = 4s
          establishing-get-contacts-interval = 1s
          refresh-contacts-interval = 10s
          reconnect-timeout = off
          buffer-size = 1000
        }
        """;

    /// <summary>
    /// Starts the publisher (after <see cref="ProcessTreeActorExtensions.AddProcessTreeActor"/>; it waits for the tree
    /// actor in the registry). Not local: also enables Akka.Remote for this ActorSystem (do not call WithRemoting
    /// elsewhere) and a ClusterClient to the aggregators. Local (standalone): the aggregator must be in this ActorSystem.
    /// The godo wire serializer is bound either way.
    /// </summary>
    public static AkkaConfigurationBuilder AddAggregatorPublisher(this AkkaConfigurationBuilder builder, PublisherSettings settings)
    {
        if (settings.Local) builder.AddGodoWireSerializer();
        else builder.AddAggregatorClient(settings);
        return builder.WithActors((system, registry) =>
        {
            var client = settings.Local ? null : registry.Get<AggregatorClientKey>();
            var publisher = system.ActorOf(AggregatorPublisherActor.Props(settings, () => registry.GetAsync<ProcessTreeActor>(), client), ActorName);
            registry.Register<AggregatorPublisherActor>(publisher);
        }).WatchCritical<AggregatorPublisherActor>("the aggregator publisher");
    }

    /// <summary>
    /// The transport alone: the godo wire serializer, Akka.Remote, and a ClusterClient to <see cref="PublisherSettings.Aggregators"/>
    /// registered under <see cref="AggregatorClientKey"/> (the publisher uses it; so does the benchmark's simulated fleet).
    /// </summary>
    public static AkkaConfigurationBuilder AddAggregatorClient(this AkkaConfigurationBuilder builder, PublisherSettings settings)
    {
        var contacts = settings.ReceptionistPaths();
        if (contacts.Count == 0) throw new ArgumentException("give at least one aggregator (akka.tcp://godo@HOST:PORT), or use local mode");
        var bind = settings.RemoteHost ?? (settings.AllLoopback() ? "127.0.0.1" : "0.0.0.0");
        var publicHost = settings.PublicHost ?? (bind == "0.0.0.0" ? System.Net.Dns.GetHostName() : null);
        return builder
            .AddGodoWireSerializer()
            // An agent dials aggregators only, and takes nothing by actor selection.
            .AddRemotingSecurity(settings.Tls, [FleetRole.Aggregator], RemotingSecurity.AgentPaths)
            .WithRemoting(new RemoteOptions
            {
                HostName = bind, Port = settings.RemotePort, PublicHostName = publicHost,
                MaxFrameSize = settings.MaxFrameSize,
                SendBufferSize = Math.Max(settings.MaxFrameSize * 2, 256_000),
                ReceiveBufferSize = Math.Max(settings.MaxFrameSize * 2, 256_000),
            })
            .AddHocon(ClientHocon, HoconAddMode.Prepend)
            // The ClusterClient wraps every message in the pub-sub's SendToAll: without the pub-sub and client
            // serializers bound here, that envelope would fall back to the default (Newtonsoft) serializer.
            .AddHocon(DistributedPubSub.DefaultConfig(), HoconAddMode.Append)
            .AddHocon(ClusterClientReceptionist.DefaultConfig(), HoconAddMode.Append)
            .WithClusterClient<AggregatorClientKey>(contacts);
    }
}
