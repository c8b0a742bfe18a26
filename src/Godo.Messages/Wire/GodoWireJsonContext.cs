using System.Text.Json.Serialization;

namespace Godo.Messages.Wire;

/// <summary>
/// Source-generated System.Text.Json payloads of the wire messages (no reflection, no type names on the wire).
/// camelCase like the public schema; nulls and defaults omitted to keep deltas small.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = false,
    WriteIndented = false)]
[JsonSerializable(typeof(HostSnapshot))]
[JsonSerializable(typeof(HostDelta))]
[JsonSerializable(typeof(AgentHeartbeat))]
[JsonSerializable(typeof(SnapshotRequest))]
[JsonSerializable(typeof(AgentUnreachable))]
[JsonSerializable(typeof(HostFeed))]
[JsonSerializable(typeof(SnapshotChunk))]
[JsonSerializable(typeof(IngestAck))]
[JsonSerializable(typeof(HostDirectoryEntry))]
[JsonSerializable(typeof(HostTreeQuery))]
[JsonSerializable(typeof(HostTreeReply))]
[JsonSerializable(typeof(HostAgentLost))]
[JsonSerializable(typeof(FleetEventBatch))]
public sealed partial class GodoWireJsonContext : JsonSerializerContext;
