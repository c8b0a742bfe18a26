using System.Text.Json;
using Akka.Configuration;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Godo.Messages.Wire;

namespace Godo.Messages.Tests.Wire;

public sealed class GodoWireSerializerSpecs() : TestKit(ConfigurationFactory.ParseString(GodoWireSerializer.Hocon))
{
    public static TheoryData<string> MessageNames() => new(WireSamples.All().Select(Name));

    private static string Name(IGodoWireMessage m) => m.GetType().Name + (m switch
    {
        Godo.Messages.Wire.HostSnapshot { Identity: not null } => "(proof)",
        Godo.Messages.Wire.HostSnapshot { Processes.Length: 0 } => "(empty)",
        HostDirectoryEntry { Removed: true } => "(removed)",
        HostTreeReply { Tree: null } => "(none)",
        _ => "",
    });

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Every_wire_message_round_trips_through_the_godo_serializer(string name)
    {
        var original = WireSamples.All().Single(m => Name(m) == name);
        var serialization = Sys.Serialization;
        var serializer = serialization.FindSerializerFor(original);
        Assert.IsType<GodoWireSerializer>(serializer);
        Assert.Equal(GodoWireSerializer.SerializerId, serializer.Identifier);

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, original);
        var bytes = serializer.ToBinary(original);
        var copy = serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.IsType(original.GetType(), copy);
        // Records holding immutable arrays compare arrays by reference: compare their full JSON instead.
        Assert.Equal(Json(original), Json(copy));
        Assert.Equal(bytes, serializer.ToBinary(copy)); // stable: a copy serializes to the same bytes
    }

    [Fact]
    public void Every_wire_type_has_a_sample_and_a_distinct_short_manifest()
    {
        var wireTypes = typeof(IGodoWireMessage).Assembly.GetTypes()
            .Where(t => typeof(IGodoWireMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false }).ToHashSet();
        Assert.Equal(wireTypes, GodoWireSerializer.Manifests.Keys.ToHashSet());
        Assert.Equal(wireTypes, WireSamples.All().Select(m => m.GetType()).ToHashSet());
        Assert.Equal(GodoWireSerializer.Manifests.Count, GodoWireSerializer.Manifests.Values.Distinct().Count());
        Assert.All(GodoWireSerializer.Manifests.Values, m => Assert.InRange(m.Length, 1, 4));
    }

    [Fact]
    public void Manifests_are_stable_protocol_constants()
    {
        // Changing one breaks mixed-version clusters: these literals are the protocol.
        Assert.Equal("hs", GodoWireSerializer.Manifests[typeof(HostSnapshot)]);
        Assert.Equal("hd", GodoWireSerializer.Manifests[typeof(HostDelta)]);
        Assert.Equal("hb", GodoWireSerializer.Manifests[typeof(AgentHeartbeat)]);
        Assert.Equal("sr", GodoWireSerializer.Manifests[typeof(SnapshotRequest)]);
        Assert.Equal("au", GodoWireSerializer.Manifests[typeof(AgentUnreachable)]);
        Assert.Equal("hf", GodoWireSerializer.Manifests[typeof(HostFeed)]);
        Assert.Equal("sc", GodoWireSerializer.Manifests[typeof(SnapshotChunk)]);
        Assert.Equal("ia", GodoWireSerializer.Manifests[typeof(IngestAck)]);
        Assert.Equal(4711, GodoWireSerializer.SerializerId);
    }

    [Fact]
    public void Unknown_manifest_is_a_serialization_error_not_a_crash()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(HostDelta));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "zz"));
        Assert.Throws<ArgumentException>(() => serializer.ToBinary("not a wire message"));
    }

    [Fact]
    public void Event_times_are_optional_so_an_older_agents_delta_and_snapshot_still_read()
    {
        var serializer = new GodoWireSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        // What an agent from before issue 11 sends: no eventTime, no per-change at, exit code or signal.
        var delta = (HostDelta)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(
            """{"host":"h","incarnation":"i","sequence":2,"asOf":"2026-11-30T10:00:00+00:00","processes":[{"kind":0,"process":{"pid":5,"ppid":1}}],"containers":[{"kind":1,"container":{"id":"c"}}]}"""),
            GodoWireSerializer.DeltaManifest);
        Assert.Null(delta.EventTime);
        Assert.Null(delta.Processes[0].At);
        Assert.Null(delta.Processes[0].ExitCode);
        Assert.Null(delta.Containers[0].At);
        var chunk = (SnapshotChunk)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(
            """{"host":"h","incarnation":"i","sequence":1,"index":0,"processes":[],"header":{"asOf":"2026-11-30T10:00:00+00:00","containers":[],"stats":{}},"count":1}"""),
            GodoWireSerializer.SnapshotChunkManifest);
        Assert.Null(chunk.Header!.EventTime);
    }

    [Fact]
    public void Payload_is_compact_json_without_type_names()
    {
        var delta = WireSamples.All().OfType<HostDelta>().First();
        var text = System.Text.Encoding.UTF8.GetString(new GodoWireSerializer((Akka.Actor.ExtendedActorSystem)Sys).ToBinary(delta));
        Assert.DoesNotContain("$type", text);
        Assert.DoesNotContain("Godo.Messages", text);
        Assert.Contains("\"sequence\":18", text);
    }

    private static string Json(object o) => o switch
    {
        HostSnapshot m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostSnapshot),
        HostDelta m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostDelta),
        AgentHeartbeat m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.AgentHeartbeat),
        SnapshotRequest m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.SnapshotRequest),
        AgentUnreachable m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.AgentUnreachable),
        HostFeed m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostFeed),
        SnapshotChunk m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.SnapshotChunk),
        IngestAck m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.IngestAck),
        HostDirectoryEntry m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostDirectoryEntry),
        HostTreeQuery m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostTreeQuery),
        HostTreeReply m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostTreeReply),
        HostAgentLost m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.HostAgentLost),
        FleetEventBatch m => JsonSerializer.Serialize(m, GodoWireJsonContext.Default.FleetEventBatch),
        _ => throw new ArgumentException(o.GetType().Name),
    };
}
