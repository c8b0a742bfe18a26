using Godo.Messages.Api;

namespace Godo.Cli.Output;

/// <summary>How a host that is not up is marked beside its processes: what they show may no longer be true.</summary>
public static class HostStatusText
{
    /// <summary>"down since 10:02:11Z: agent unreachable", "stale: last seen 12s ago"; null for an up host.</summary>
    public static string? NotUp(HostSummary h) => h.Status switch
    {
        HostStatus.Up => null,
        HostStatus.Down => "DOWN" + (h.DownSince is { } since ? $" since {since.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "") + (h.StatusReason is { } r ? $": {r}" : ""),
        _ => $"STALE: last seen {(DateTimeOffset.UtcNow - h.LastSeen).TotalSeconds:0}s ago",
    };

    /// <summary>The short mark for a table's host column: "web-01 (down)".</summary>
    public static string Mark(string host, HostStatus? status) =>
        status is null or HostStatus.Up ? host : $"{host} ({status.ToString()!.ToLowerInvariant()})";
}
