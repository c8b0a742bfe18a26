using System.Text.Json.Serialization;

namespace Godo.Aggregator.Fleet;

[JsonConverter(typeof(JsonStringEnumConverter<HostStatus>))]
public enum HostStatus
{
    /// <summary>Heartbeats arrive.</summary>
    [JsonStringEnumMemberName("up")] Up,
    /// <summary>No heartbeat for <see cref="FleetOptions.StaleAfter"/>.</summary>
    [JsonStringEnumMemberName("stale")] Stale,
    /// <summary>The agent's ClusterClient went unreachable, or it was stale beyond <see cref="FleetOptions.DownAfter"/>; kept for <see cref="FleetOptions.Retention"/>.</summary>
    [JsonStringEnumMemberName("down")] Down,
}
