using System.Net;
using Godo.Messages;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>How an agent feeds the aggregators (see <see cref="AggregatorPublisherExtensions.AddAggregatorPublisher"/>).</summary>
public sealed record PublisherSettings
{
    /// <summary>The host name the agent reports (the key of its host on every aggregator).</summary>
    public required string HostName { get; init; }
    /// <summary>
    /// The aggregators, akka.tcp://godo@HOST:PORT (or full receptionist paths ending in /system/receptionist): the
    /// ClusterClient's initial contacts. It finds the other aggregators from them.
    /// </summary>
    public IReadOnlyList<string> Aggregators { get; init; } = [];
    /// <summary>Standalone: the aggregator runs in this ActorSystem; messages go to its ingest actor directly (no ClusterClient, no remoting).</summary>
    public bool Local { get; init; }
    /// <summary>The agent's figures for heartbeats and snapshots (records/s, events/s, lost, ...).</summary>
    public Func<AgentStats>? Stats { get; init; }
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Snapshot requests this close to the last snapshot are answered by it (several aggregators see the same gap).</summary>
    public TimeSpan SnapshotCoalesce { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Address the agent's Akka.Remote binds; default 127.0.0.1 when every aggregator is on loopback, else 0.0.0.0.</summary>
    public string? RemoteHost { get; init; }
    /// <summary>Address the aggregators use to reach the agent back (replies); default: the bind address, or this machine's name for 0.0.0.0.</summary>
    public string? PublicHost { get; init; }
    /// <summary>Akka.Remote port of the agent; 0 (default) picks a free one.</summary>
    public int RemotePort { get; init; }
    /// <summary>Mutual TLS to the aggregators, and the proof of <see cref="HostName"/> on every snapshot; null: plain TCP.</summary>
    public FleetTrust? Tls { get; init; }
    /// <summary>Largest remote message (a snapshot of a big host); the aggregators allow the same.</summary>
    public long MaxFrameSize { get; init; } = 32L * 1024 * 1024;
    /// <summary>A snapshot goes in pieces of about this many bytes (estimated), far under <see cref="MaxFrameSize"/>; big deltas are cut the same way.</summary>
    public long ChunkBytes { get; init; } = 1024 * 1024;
    public int ChunkProcesses { get; init; } = 5000;
    /// <summary>Pieces of a snapshot sent ahead of the slowest aggregator's acks.</summary>
    public int ChunkWindow { get; init; } = 8;
    /// <summary>An aggregator that acks no piece for this long stops holding the window; with none acking, the snapshot is given up.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Deltas held (while a snapshot goes, or no aggregator answers), and deltas sent unanswered, at most this many bytes each.</summary>
    public long BufferBytes { get; init; } = 8L * 1024 * 1024;
    /// <summary>The latest deltas sent, kept to send again after a gap instead of a snapshot (<see cref="SentDeltas"/>), at most this many bytes.</summary>
    public long ResendBytes { get; init; } = 1024 * 1024;
    /// <summary>Aggregators ack every heartbeat: none for this long, and deltas are held instead of sent.</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(6);
    /// <summary>TEST ONLY: deltas for which this returns true get a sequence number but are never sent (to exercise gap healing).</summary>
    public Func<HostDelta, bool>? DropDelta { get; init; }

    public static PublisherSettings LocalMode(string hostName, Func<AgentStats>? stats = null) => new() { HostName = hostName, Local = true, Stats = stats };

    /// <summary>akka.tcp://godo@H:P → akka.tcp://godo@H:P/system/receptionist; validates the form.</summary>
    public IReadOnlyList<string> ReceptionistPaths()
    {
        var list = new List<string>();
        foreach (var raw in Aggregators)
        {
            var text = RemotingSecurity.InScheme(raw, Tls is not null).TrimEnd('/');
            if (!text.EndsWith("/system/receptionist", StringComparison.Ordinal)) text += "/system/receptionist";
            if (!Akka.Actor.ActorPath.TryParse(text, out var path) || path.Address.Host is null || path.Address.Port is null)
                throw new ArgumentException($"bad aggregator address '{raw}': give akka.tcp://{GodoConstants.ActorSystemName}@HOST:PORT");
            list.Add(path.ToString());
        }
        return list;
    }

    internal bool AllLoopback() => Aggregators.All(a =>
    {
        var text = a.Trim();
        var at = text.IndexOf('@');
        if (at < 0) return false;
        var hostPort = text[(at + 1)..].Split('/')[0];
        var host = hostPort.Contains(']') ? hostPort[..(hostPort.IndexOf(']') + 1)].Trim('[', ']') : hostPort.Split(':')[0];
        return host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    });
}
