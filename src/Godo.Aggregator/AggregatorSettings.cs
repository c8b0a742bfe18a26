using Godo.Aggregator.Fleet;
using Godo.Aggregator.Storage;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Security;

namespace Godo.Aggregator;

/// <summary>
/// Everything an aggregator is configured with, and the one place of its defaults. `godo` fills it from the
/// "Aggregator" section of its configuration (appsettings.json, then GODO_* variables, then flags; each later one wins).
/// </summary>
public sealed record AggregatorSettings
{
    /// <summary>Address Akka.Remote binds (and, without <see cref="PublicHost"/>, advertises).</summary>
    public string RemoteHost { get; init; } = "127.0.0.1";
    /// <summary>Akka.Remote port; 0 picks a free one (tests).</summary>
    public int RemotePort { get; init; } = GodoConstants.DefaultRemotePort;
    /// <summary>Address other nodes and agents use to reach this one, when it differs from the bind address (NAT, 0.0.0.0).</summary>
    public string? PublicHost { get; init; }
    /// <summary>Seed nodes, akka.tcp://godo@H:P. Empty: this node forms a cluster of its own (or is joined by others).</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];
    /// <summary>Where the HTTP API listens. Off loopback it needs <see cref="ApiToken"/>.</summary>
    public string HttpUrl { get; init; } = GodoConstants.DefaultHttpUrl;
    /// <summary>Bearer token required on every API request when set (and required to be set off loopback).</summary>
    public string? ApiToken { get; init; }
    /// <summary>
    /// Host names the API answers to besides its bound address (and localhost on loopback), e.g. the name operators
    /// or a reverse proxy use; a name without a port matches any port. Any other Host header is refused (DNS rebinding).
    /// </summary>
    public IReadOnlyList<string> HttpHosts { get; init; } = [];
    /// <summary>PEM certificate (with its chain) and private key for an https:// <see cref="HttpUrl"/>.</summary>
    public string? HttpCert { get; init; }
    public string? HttpKey { get; init; }
    /// <summary>Static files served at / (the dashboard); default: wwwroot next to the executable, when present.</summary>
    public string? WebRoot { get; init; }
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(6);
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);
    /// <summary>How long a down host's whole tree is kept; then only its summary, until <see cref="Retention"/>.</summary>
    public TimeSpan TreeRetention { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>What is kept of each process the agents send (argv cap), whatever the agent applied.</summary>
    public ProcessCaps Caps { get; init; } = ProcessCaps.Default;
    /// <summary>A snapshot whose chunks stop coming for this long is dropped (and counted).</summary>
    public TimeSpan SnapshotAssemblyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan SnapshotRetry { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often host status is re-evaluated.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Largest remote message (a snapshot of a big host); agents must allow the same.</summary>
    public long MaxFrameSize { get; init; } = 32L * 1024 * 1024;
    /// <summary>Mutual TLS for all remoting (members and agents); null: plain TCP, refused off loopback without <see cref="InsecureRemoting"/>.</summary>
    public FleetTrust? Tls { get; init; }
    /// <summary>Allows remoting off loopback without TLS (a network where every peer is trusted).</summary>
    public bool InsecureRemoting { get; init; }
    /// <summary>
    /// Down a member at once when its link drops and its remoting port refuses connections (its process is gone), if
    /// the split-brain resolver would down it anyway; off: only the resolver downs, ~6-9 s after a crash. Turn it off
    /// where firewalls answer with REJECT between members, which looks the same.
    /// </summary>
    public bool DownCrashedMembers { get; init; } = true;
    /// <summary>Bytes one event-stream client may have queued before it is cut off (an <c>overflow</c> event ends its stream).</summary>
    public long FeedClientBytes { get; init; } = new FeedOptions().ClientBytes;
    /// <summary>Bytes of recent events kept for <c>GET /api/events?recent=N</c>.</summary>
    public long FeedHistoryBytes { get; init; } = new FeedOptions().HistoryBytes;
    /// <summary>The journal, snapshot store and history: SQLite under a data directory, or a shared PostgreSQL.</summary>
    public StorageSettings Storage { get; init; } = new();
    /// <summary>The host entities: Akka snapshots, directory pace, shards.</summary>
    public Godo.Aggregator.Hosts.HostEntityOptions Hosts { get; init; } = new();
    /// <summary>Extra HOCON appended last (tests: shorter failure detection, crash without leaving).</summary>
    public string? ExtraHocon { get; init; }

    public FleetOptions Fleet => new()
    {
        StaleAfter = StaleAfter, DownAfter = DownAfter, Retention = Retention, SnapshotRetry = SnapshotRetry, Trust = Tls,
        TreeRetention = TreeRetention, Caps = Caps, SnapshotAssemblyTimeout = SnapshotAssemblyTimeout,
    };

    public FeedOptions Feed => new() { ClientBytes = FeedClientBytes, HistoryBytes = FeedHistoryBytes };

}

/// <summary>A configuration the aggregator refuses to start with (e.g. an API off loopback without a token).</summary>
public sealed class AggregatorConfigException(string message) : Exception(message);
