using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace Godo.Messages.Wire;

/// <summary>
/// The one serializer of godo's wire messages (<see cref="IGodoWireMessage"/>): short, stable string manifests and
/// source-generated System.Text.Json payloads. Never the default (Newtonsoft) serializer, never type names on the wire.
/// Manifests are part of the protocol: never reuse or rename one; add a new one for a new message.
/// </summary>
public sealed class GodoWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Fixed for ever: receivers pick the serializer by this number.</summary>
    public const int SerializerId = 4711;
    public const string ConfigName = "godo-wire";

    public const string SnapshotManifest = "hs";
    public const string DeltaManifest = "hd";
    public const string HeartbeatManifest = "hb";
    public const string SnapshotRequestManifest = "sr";
    public const string AgentUnreachableManifest = "au";
    public const string FeedManifest = "hf";
    public const string SnapshotChunkManifest = "sc";
    public const string IngestAckManifest = "ia";
    public const string HostDirectoryManifest = "hx";
    public const string HostTreeQueryManifest = "tq";
    public const string HostTreeReplyManifest = "tr";
    public const string HostAgentLostManifest = "hl";
    public const string FleetEventBatchManifest = "fe";

    public override int Identifier => SerializerId;

    private static readonly GodoWireJsonContext Json = GodoWireJsonContext.Default;

    /// <summary>Every wire type with its manifest; tests walk it to round-trip each one.</summary>
    public static IReadOnlyDictionary<Type, string> Manifests { get; } = new Dictionary<Type, string>
    {
        [typeof(HostSnapshot)] = SnapshotManifest,
        [typeof(HostDelta)] = DeltaManifest,
        [typeof(AgentHeartbeat)] = HeartbeatManifest,
        [typeof(SnapshotRequest)] = SnapshotRequestManifest,
        [typeof(AgentUnreachable)] = AgentUnreachableManifest,
        [typeof(HostFeed)] = FeedManifest,
        [typeof(SnapshotChunk)] = SnapshotChunkManifest,
        [typeof(IngestAck)] = IngestAckManifest,
        [typeof(HostDirectoryEntry)] = HostDirectoryManifest,
        [typeof(HostTreeQuery)] = HostTreeQueryManifest,
        [typeof(HostTreeReply)] = HostTreeReplyManifest,
        [typeof(HostAgentLost)] = HostAgentLostManifest,
        [typeof(FleetEventBatch)] = FleetEventBatchManifest,
    };

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var m) ? m
            : throw new ArgumentException($"{o.GetType()} is not a godo wire message", nameof(o));

    public override byte[] ToBinary(object obj) => obj switch
    {
        HostSnapshot m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostSnapshot),
        HostDelta m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostDelta),
        AgentHeartbeat m => JsonSerializer.SerializeToUtf8Bytes(m, Json.AgentHeartbeat),
        SnapshotRequest m => JsonSerializer.SerializeToUtf8Bytes(m, Json.SnapshotRequest),
        AgentUnreachable m => JsonSerializer.SerializeToUtf8Bytes(m, Json.AgentUnreachable),
        HostFeed m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostFeed),
        SnapshotChunk m => JsonSerializer.SerializeToUtf8Bytes(m, Json.SnapshotChunk),
        IngestAck m => JsonSerializer.SerializeToUtf8Bytes(m, Json.IngestAck),
        HostDirectoryEntry m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostDirectoryEntry),
        HostTreeQuery m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostTreeQuery),
        HostTreeReply m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostTreeReply),
        HostAgentLost m => JsonSerializer.SerializeToUtf8Bytes(m, Json.HostAgentLost),
        FleetEventBatch m => JsonSerializer.SerializeToUtf8Bytes(m, Json.FleetEventBatch),
        _ => throw new ArgumentException($"{obj.GetType()} is not a godo wire message", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        SnapshotManifest => Read(bytes, Json.HostSnapshot),
        DeltaManifest => Read(bytes, Json.HostDelta),
        HeartbeatManifest => Read(bytes, Json.AgentHeartbeat),
        SnapshotRequestManifest => Read(bytes, Json.SnapshotRequest),
        AgentUnreachableManifest => Read(bytes, Json.AgentUnreachable),
        FeedManifest => Read(bytes, Json.HostFeed),
        SnapshotChunkManifest => Read(bytes, Json.SnapshotChunk),
        IngestAckManifest => Read(bytes, Json.IngestAck),
        HostDirectoryManifest => Read(bytes, Json.HostDirectoryEntry),
        HostTreeQueryManifest => Read(bytes, Json.HostTreeQuery),
        HostTreeReplyManifest => Read(bytes, Json.HostTreeReply),
        HostAgentLostManifest => Read(bytes, Json.HostAgentLost),
        FleetEventBatchManifest => Read(bytes, Json.FleetEventBatch),
        _ => throw new SerializationException($"unknown godo wire manifest '{manifest}' (a newer peer?)"),
    };

    private static T Read<T>(byte[] bytes, JsonTypeInfo<T> info) =>
        JsonSerializer.Deserialize(bytes, info) ?? throw new SerializationException($"empty {typeof(T).Name} payload");

    /// <summary>The HOCON binding, for systems not configured through Akka.Hosting.</summary>
    public const string Hocon = """
        akka.actor {
          serializers.godo-wire = "Godo.Messages.Wire.GodoWireSerializer, Godo.Messages"
          serialization-bindings { "Godo.Messages.Wire.IGodoWireMessage, Godo.Messages" = godo-wire }
          serialization-identifiers { "Godo.Messages.Wire.GodoWireSerializer, Godo.Messages" = 4711 }
        }
        """;
}
