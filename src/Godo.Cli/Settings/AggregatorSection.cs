using System.Globalization;
using Godo.Aggregator;
using Microsoft.Extensions.Configuration;

namespace Godo.Cli.Settings;

/// <summary>
/// The "Aggregator" section as written, in appsettings.json, GODO_* variables or flags: text the binder fills in,
/// null where nothing was set. <see cref="Validate"/> parses it into <see cref="AggregatorSettings"/>, which holds the defaults.
/// </summary>
public sealed class AggregatorSection
{
    public string? RemoteHost { get; init; }
    public string? RemotePort { get; init; }
    public string? PublicHost { get; init; }
    public string[]? Seeds { get; init; }
    /// <summary>The API's URL (flag --http, GODO_HTTP); "HttpUrl" is read too, "Http" wins.</summary>
    public string? Http { get; init; }
    public string? HttpUrl { get; init; }
    public string? ApiToken { get; init; }
    public string[]? HttpHosts { get; init; }
    public string? HttpCert { get; init; }
    public string? HttpKey { get; init; }
    public string? WebRoot { get; init; }
    /// <summary>Seconds (30, 30s) or hh:mm:ss.</summary>
    public string? StaleAfter { get; init; }
    public string? DownAfter { get; init; }
    public string? Retention { get; init; }
    /// <summary>How long a down host's whole tree is kept (then only its summary).</summary>
    public string? TreeRetention { get; init; }
    /// <summary>argv kept per process, applied again to what agents send: a size (32KiB) or off.</summary>
    public string? ArgvCap { get; init; }
    /// <summary>true: remoting off loopback without TLS is allowed (a trusted network).</summary>
    public string? InsecureRemoting { get; init; }
    /// <summary>true (default): a member whose process is gone is downed at once (see <see cref="AggregatorSettings.DownCrashedMembers"/>).</summary>
    public string? DownCrashedMembers { get; init; }
    /// <summary>Bytes (4194304, 4M, 4MiB) one event-stream client may have queued before it is cut off.</summary>
    public string? FeedClientBytes { get; init; }
    /// <summary>Bytes of recent events kept for ?recent=N.</summary>
    public string? FeedHistoryBytes { get; init; }
    /// <summary>Directory of the embedded SQLite store (default /var/lib/godo).</summary>
    public string? Data { get; init; }
    /// <summary>postgres://USER:PASSWORD@HOST:PORT/DATABASE: a shared store for a cluster (default: SQLite under Data).</summary>
    public string? Journal { get; init; }
    /// <summary>How long history is kept (seconds, hh:mm:ss or d.hh:mm:ss; default 7 days).</summary>
    public string? HistoryRetention { get; init; }
    /// <summary>Bytes history may take (e.g. 10G).</summary>
    public string? HistoryBytes { get; init; }

    /// <summary>The aggregator's settings, with its TLS certificates (section "Tls") loaded and checked.</summary>
    public static AggregatorSettings Bind(IConfiguration configuration) =>
        GodoConfiguration.Bind<AggregatorSection>(configuration, "Aggregator").Validate() with
        {
            Tls = TlsSection.Bind(configuration, Godo.Messages.Security.FleetRole.Aggregator),
        };

    /// <summary>The settings: <see cref="AggregatorSettings"/>' defaults with what is set here; bad input is a one-line <see cref="UsageException"/>.</summary>
    public AggregatorSettings Validate()
    {
        var settings = new AggregatorSettings();
        settings = settings with
        {
            RemoteHost = RemoteHost ?? settings.RemoteHost,
            RemotePort = Port(RemotePort) ?? settings.RemotePort,
            PublicHost = PublicHost ?? settings.PublicHost,
            HttpUrl = Http ?? HttpUrl ?? settings.HttpUrl,
            ApiToken = ApiToken ?? settings.ApiToken,
            HttpCert = HttpCert ?? settings.HttpCert,
            HttpKey = HttpKey ?? settings.HttpKey,
            WebRoot = WebRoot ?? settings.WebRoot,
            StaleAfter = Time(StaleAfter, "--stale-after") ?? settings.StaleAfter,
            DownAfter = Time(DownAfter, "--down-after") ?? settings.DownAfter,
            Retention = Time(Retention, "--retention") ?? settings.Retention,
            TreeRetention = Time(TreeRetention, "--tree-retention") ?? settings.TreeRetention,
            Caps = ByteSize.ArgvCap(ArgvCap, "--argv-cap"),
            InsecureRemoting = InsecureRemoting is null ? settings.InsecureRemoting
                : bool.TryParse(InsecureRemoting, out var insecure) ? insecure
                : throw new UsageException($"bad --insecure-remoting '{InsecureRemoting}': give true or false"),
            DownCrashedMembers = DownCrashedMembers is null ? settings.DownCrashedMembers
                : bool.TryParse(DownCrashedMembers, out var downCrashed) ? downCrashed
                : throw new UsageException($"bad DownCrashedMembers '{DownCrashedMembers}': give true or false"),
            FeedClientBytes = Bytes(FeedClientBytes, "FeedClientBytes") ?? settings.FeedClientBytes,
            FeedHistoryBytes = Bytes(FeedHistoryBytes, "FeedHistoryBytes") ?? settings.FeedHistoryBytes,
            Storage = StorageOf(settings.Storage),
        };
        // Blank items are what a shorter list leaves of a longer one below it (see SettingsLayer.Over).
        if (Seeds?.Where(s => !string.IsNullOrWhiteSpace(s)).ToArray() is { Length: > 0 } seeds) settings = settings with { Seeds = seeds };
        if (HttpHosts?.Where(h => !string.IsNullOrWhiteSpace(h)).ToArray() is { Length: > 0 } hosts) settings = settings with { HttpHosts = hosts };
        return settings;
    }

    private Godo.Aggregator.Storage.StorageSettings StorageOf(Godo.Aggregator.Storage.StorageSettings d)
    {
        var storage = d with
        {
            DataDir = Data is { Length: > 0 } dir ? Path.GetFullPath(dir) : d.DataDir,
            Journal = Journal is { Length: > 0 } j ? j : d.Journal,
            HistoryRetention = Time(HistoryRetention, "--history-retention") ?? d.HistoryRetention,
            HistoryBytes = HistoryBytes is null ? d.HistoryBytes : ByteSize.Parse(HistoryBytes, "--history-bytes", min: 1L << 20, max: 1L << 40),
        };
        if (storage.Journal is { } url)
        {
            try { _ = storage.Target; }
            catch (FormatException e) { throw new UsageException(e.Message); }
        }
        return storage;
    }

    internal static int? Port(string? text) =>
        text is null ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 65535 ? v
        : throw new UsageException($"bad --remote-port '{text}': give a port number (0-65535)");

    /// <summary>A size in bytes, with an optional K/M/G (or KiB/MiB/GiB) suffix; 64 KiB to 1 GiB.</summary>
    internal static long? Bytes(string? text, string what)
    {
        if (text is null) return null;
        var t = text.Trim();
        var unit = t.EndsWith("iB", StringComparison.OrdinalIgnoreCase) ? t[..^2] : t.EndsWith('B') || t.EndsWith('b') ? t[..^1] : t;
        long scale = 1;
        if (unit.Length > 0 && char.ToUpperInvariant(unit[^1]) is var u and ('K' or 'M' or 'G'))
        {
            scale = u switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            unit = unit[..^1];
        }
        if (long.TryParse(unit, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= (1L << 30) / scale && n * scale >= 64 << 10)
            return n * scale;
        throw new UsageException($"bad {what} '{text}': give bytes from 64K to 1G (e.g. 4M)");
    }

    private static TimeSpan? Time(string? text, string what)
    {
        if (text is null) return null;
        if (text.EndsWith('d') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var days) && days >= 0) return TimeSpan.FromDays(days);
        if (text.EndsWith('h') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hours) && hours >= 0) return TimeSpan.FromHours(hours);
        if (double.TryParse(text.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && secs >= 0) return TimeSpan.FromSeconds(secs);
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var ts) && ts >= TimeSpan.Zero) return ts;
        throw new UsageException($"bad {what} '{text}': give seconds (e.g. 30), hours (12h), days (7d) or hh:mm:ss");
    }
}
