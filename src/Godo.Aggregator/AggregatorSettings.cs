using System.Globalization;
using Godo.Aggregator.Fleet;
using Godo.Messages;
using Microsoft.Extensions.Configuration;

namespace Godo.Aggregator;

/// <summary>
/// Everything an aggregator is configured with. Bound from the "Aggregator" section of appsettings.json, then the
/// GODO_* environment variables, then command-line flags (see <see cref="Bind"/>); each later source wins.
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
    /// <summary>Static files served at / (the dashboard); default: wwwroot next to the executable, when present.</summary>
    public string? WebRoot { get; init; }
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(6);
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan SnapshotRetry { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often host status is re-evaluated.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Largest remote message (a snapshot of a big host); agents must allow the same.</summary>
    public long MaxFrameSize { get; init; } = 32L * 1024 * 1024;
    /// <summary>Extra HOCON appended last (tests: shorter failure detection, crash without leaving).</summary>
    public string? ExtraHocon { get; init; }

    public FleetOptions Fleet => new()
    {
        StaleAfter = StaleAfter, DownAfter = DownAfter, Retention = Retention, SnapshotRetry = SnapshotRetry,
    };

    /// <summary>
    /// Settings from configuration: the "Aggregator" section (appsettings.json, or GODO_AGGREGATOR__REMOTEPORT style
    /// variables), then the short variables GODO_REMOTE_HOST, GODO_REMOTE_PORT, GODO_PUBLIC_HOST, GODO_SEEDS
    /// (comma-separated), GODO_HTTP, GODO_API_TOKEN, GODO_STALE_AFTER, GODO_DOWN_AFTER, GODO_RETENTION (seconds or hh:mm:ss).
    /// </summary>
    public static AggregatorSettings Bind(IConfiguration configuration, AggregatorSettings? defaults = null)
    {
        var s = defaults ?? new AggregatorSettings();
        var section = configuration.GetSection("Aggregator");
        s = s with
        {
            RemoteHost = Str(section, "RemoteHost") ?? Env("GODO_REMOTE_HOST") ?? s.RemoteHost,
            RemotePort = Int(Str(section, "RemotePort") ?? Env("GODO_REMOTE_PORT"), "remote port") ?? s.RemotePort,
            PublicHost = Str(section, "PublicHost") ?? Env("GODO_PUBLIC_HOST") ?? s.PublicHost,
            HttpUrl = Str(section, "Http") ?? Str(section, "HttpUrl") ?? Env("GODO_HTTP") ?? s.HttpUrl,
            ApiToken = Str(section, "ApiToken") ?? Env(GodoConstants.ApiTokenVariable) ?? s.ApiToken,
            WebRoot = Str(section, "WebRoot") ?? Env("GODO_WEBROOT") ?? s.WebRoot,
            StaleAfter = Time(Str(section, "StaleAfter") ?? Env("GODO_STALE_AFTER"), "stale-after") ?? s.StaleAfter,
            DownAfter = Time(Str(section, "DownAfter") ?? Env("GODO_DOWN_AFTER"), "down-after") ?? s.DownAfter,
            Retention = Time(Str(section, "Retention") ?? Env("GODO_RETENTION"), "retention") ?? s.Retention,
        };
        var seeds = section.GetSection("Seeds").GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (seeds.Count == 0 && Env("GODO_SEEDS") is { } env) seeds = env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (seeds.Count > 0) s = s with { Seeds = seeds };
        return s;
    }

    private static string? Str(IConfiguration c, string key) => string.IsNullOrWhiteSpace(c[key]) ? null : c[key];
    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static int? Int(string? text, string what) =>
        text is null ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 65535 ? v
        : throw new AggregatorConfigException($"bad {what} '{text}': give a port number (0-65535)");

    public static TimeSpan? Time(string? text, string what)
    {
        if (text is null) return null;
        if (double.TryParse(text.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && secs >= 0) return TimeSpan.FromSeconds(secs);
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var ts) && ts >= TimeSpan.Zero) return ts;
        throw new AggregatorConfigException($"bad {what} '{text}': give seconds (e.g. 30) or hh:mm:ss");
    }
}

/// <summary>A configuration the aggregator refuses to start with (e.g. an API off loopback without a token).</summary>
public sealed class AggregatorConfigException(string message) : Exception(message);
