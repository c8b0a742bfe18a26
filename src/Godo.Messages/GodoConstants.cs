namespace Godo.Messages;

/// <summary>Names shared by agents and aggregators: one place, so both ends always agree.</summary>
public static class GodoConstants
{
    /// <summary>The ActorSystem name of every aggregator (and so of cluster addresses: akka.tcp://godo@host:port).</summary>
    public const string ActorSystemName = "godo";
    public const string AggregatorRole = "aggregator";

    /// <summary>The actor on every aggregator that takes agents' messages; registered with the ClusterClient receptionist.</summary>
    public const string AgentIngestName = "agent-ingest";
    public const string AgentIngestPath = "/user/" + AgentIngestName;

    /// <summary>DistributedPubSub topic on which aggregators tell each other that an agent's ClusterClient went unreachable.</summary>
    public const string AgentLinksTopic = "agent-links";

    /// <summary>DistributedPubSub topic of the host entities' summaries (<see cref="Wire.HostDirectoryEntry"/>).</summary>
    public const string HostDirectoryTopic = "host-directory";

    /// <summary>DistributedPubSub topic of the fleet events the host entities derive (<see cref="Wire.FleetEventBatch"/>).</summary>
    public const string FleetEventsTopic = "fleet-events";

    /// <summary>The shard region (type name) of the host entities: /system/sharding/host on every aggregator.</summary>
    public const string HostShardTypeName = "host";

    public const int DefaultRemotePort = 4053;
    public const string DefaultHttpUrl = "http://127.0.0.1:5080";
    public const string ApiTokenVariable = "GODO_API_TOKEN";
}
