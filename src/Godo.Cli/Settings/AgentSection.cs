using System.Globalization;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Messages.Security;
using Microsoft.Extensions.Configuration;

namespace Godo.Cli.Settings;

/// <summary>
/// The "Agent" section as written, in appsettings.json, GODO_* variables or flags: text the binder fills in, null
/// where nothing was set. <see cref="Validate"/> parses it into <see cref="AgentSettings"/>, which holds the defaults.
/// </summary>
public sealed class AgentSection
{
    public string? HostName { get; init; }
    /// <summary>netlink, file:PATH or stdin (also "-").</summary>
    public string? Source { get; init; }
    public string? Follow { get; init; }
    /// <summary>none or event-time.</summary>
    public string? Pace { get; init; }
    /// <summary>auto, unicast or multicast.</summary>
    public string? AuditMode { get; init; }
    public string? BacklogLimit { get; init; }
    /// <summary>A duration (30s, 2m); 0 turns reconciliation off.</summary>
    public string? ReconcileEvery { get; init; }
    public string? Docker { get; init; }
    public string? Record { get; init; }
    /// <summary>auto or audit.</summary>
    public string? ExitSource { get; init; }
    public string[]? Aggregators { get; init; }
    public string? RemoteHost { get; init; }
    public string? RemotePort { get; init; }
    public string? PublicHost { get; init; }
    /// <summary>argv kept per process: a size (32KiB) or off.</summary>
    public string? ArgvCap { get; init; }
    /// <summary>Bytes of deltas held while no aggregator answers (8MiB).</summary>
    public string? PublishBuffer { get; init; }

    /// <summary>
    /// The agent's settings, with its TLS certificates (section "Tls") loaded and checked against its host name
    /// unless <paramref name="withTls"/> is false (standalone: the certificate is the aggregator's).
    /// </summary>
    public static AgentSettings Bind(IConfiguration configuration, bool withTls = true)
    {
        var settings = GodoConfiguration.Bind<AgentSection>(configuration, "Agent").Validate();
        var tls = withTls ? TlsSection.Bind(configuration, FleetRole.Agent) : null;
        if (tls is not null && !FleetCertificates.Names(tls.Certificate, settings.HostName))
            throw new UsageException($"the TLS certificate names '{tls.Name}', not this host '{settings.HostName}': issue one with `godo certs issue DIR {settings.HostName} --role agent`, or give --host-name");
        return settings with { Tls = tls };
    }

    /// <summary>The settings: <see cref="AgentSettings"/>' defaults with what is set here; bad input is a one-line <see cref="UsageException"/>.</summary>
    public AgentSettings Validate()
    {
        var settings = new AgentSettings();
        settings = settings with
        {
            HostName = HostName ?? settings.HostName,
            RemoteHost = RemoteHost ?? settings.RemoteHost,
            RemotePort = AggregatorSection.Port(RemotePort) ?? settings.RemotePort,
            PublicHost = PublicHost ?? settings.PublicHost,
            Follow = Flag(Follow, "Agent:Follow") ?? settings.Follow,
            Docker = Flag(Docker, "Agent:Docker") ?? settings.Docker,
            Caps = ByteSize.ArgvCap(ArgvCap, "--argv-cap"),
            PublishBufferBytes = PublishBuffer is null ? settings.PublishBufferBytes : ByteSize.Parse(PublishBuffer, "--publish-buffer") is var b && b >= 64 * 1024 ? b
                : throw new UsageException($"bad --publish-buffer '{PublishBuffer}': give at least 64KiB"),
        };
        settings = Source switch
        {
            null => settings,
            "netlink" => settings with { Source = SourceKind.Netlink },
            "stdin" or "-" => settings with { Source = SourceKind.Stdin },
            _ when Source.StartsWith("file:", StringComparison.Ordinal) && Source.Length > 5 => File.Exists(Source[5..])
                ? settings with { Source = SourceKind.File, FilePath = Path.GetFullPath(Source[5..]) }
                : throw new UsageException($"{Source[5..]}: no such file"),
            _ => throw new UsageException($"bad --source '{Source}': use netlink, file:PATH or stdin"),
        };
        if (HostNames.Problem(settings.HostName) is { } badName)
            throw new UsageException($"bad --host-name: {badName}" + (HostName is null ? " (the machine name; give --host-name or GODO_HOST_NAME)" : ""));
        if (settings.Follow && settings.Source != SourceKind.File) throw new UsageException("--follow goes with --source file:PATH");
        if (Record is not null)
        {
            if (settings.Source != SourceKind.Netlink) throw new UsageException("--record goes with --source netlink");
            var dir = Path.GetDirectoryName(Path.GetFullPath(Record));
            if (dir is not null && !Directory.Exists(dir)) throw new UsageException($"--record {Record}: no such directory {dir}");
            settings = settings with { RecordPath = Path.GetFullPath(Record) };
        }
        settings = Pace switch
        {
            null => settings,
            "none" => settings with { PaceByEventTime = false },
            "event-time" => settings with { PaceByEventTime = true },
            _ => throw new UsageException($"bad --pace '{Pace}': use event-time or none"),
        };
        settings = AuditMode switch
        {
            null => settings,
            "auto" => settings with { AuditMode = Godo.Agent.Netlink.AuditMode.Auto },
            "unicast" => settings with { AuditMode = Godo.Agent.Netlink.AuditMode.Unicast },
            "multicast" => settings with { AuditMode = Godo.Agent.Netlink.AuditMode.Multicast },
            _ => throw new UsageException($"bad --audit-mode '{AuditMode}': use auto, unicast or multicast"),
        };
        settings = ExitSource switch
        {
            null => settings,
            "auto" => settings with { ExitSource = ExitSourceMode.Auto },
            "audit" => settings with { ExitSource = ExitSourceMode.Audit },
            _ => throw new UsageException($"bad --exit-source '{ExitSource}': use auto or audit"),
        };
        if (BacklogLimit is not null)
            settings = settings with
            {
                BacklogLimit = uint.TryParse(BacklogLimit, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit
                    : throw new UsageException($"bad --backlog-limit '{BacklogLimit}': give a number of records"),
            };
        if (ReconcileEvery is not null) settings = settings with { ReconcileInterval = Duration.Parse(ReconcileEvery, "--reconcile-every") };
        // Blank items are what a shorter list leaves of a longer one below it (see SettingsLayer.Over).
        if (Aggregators?.Where(a => !string.IsNullOrWhiteSpace(a)).ToArray() is { Length: > 0 } aggregators)
        {
            foreach (var addr in aggregators)
                if (!(addr.StartsWith(RemotingSecurity.PlainScheme, StringComparison.Ordinal) || addr.StartsWith(RemotingSecurity.TlsScheme, StringComparison.Ordinal))
                    || !addr.Contains('@'))
                    throw new UsageException($"bad --aggregator '{addr}': give akka.tcp://godo@HOST:PORT");
            settings = settings with { Aggregators = aggregators };
        }
        return settings;
    }

    /// <summary>A switch as written: true or false.</summary>
    private static bool? Flag(string? text, string what) =>
        text is null ? null
        : bool.TryParse(text, out var b) ? b
        : throw new UsageException($"bad {what} '{text}': give true or false");
}
