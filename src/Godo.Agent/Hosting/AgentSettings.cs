using Godo.Agent.Assembly;
using Godo.Agent.Netlink;
using Godo.Messages.Model;
using Godo.Messages.Security;

namespace Godo.Agent.Hosting;

/// <summary>Where the agent's audit records come from.</summary>
public enum SourceKind { Netlink, File, Stdin }

/// <summary>Where exits come from on a live host: audit's syscall rules alone, or also the process events connector when it can be opened.</summary>
public enum ExitSourceMode { Auto, Audit }

/// <summary>
/// Everything `godo agent` can be told, and the one place of its defaults. `godo` fills it from the "Agent" section of
/// its configuration (appsettings.json, then GODO_* variables, then flags; each later one wins).
/// </summary>
public sealed record AgentSettings
{
    public string HostName { get; init; } = Environment.MachineName;
    public SourceKind Source { get; init; } = SourceKind.Netlink;
    public string? FilePath { get; init; }
    /// <summary>file: keep reading as the file grows (tail -F).</summary>
    public bool Follow { get; init; }
    /// <summary>file/stdin: release records as fast as their event times advance, to act like a live host.</summary>
    public bool PaceByEventTime { get; init; }
    public AuditMode AuditMode { get; init; } = AuditMode.Auto;
    public uint BacklogLimit { get; init; } = 8192;
    public uint BacklogWaitTime { get; init; }
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Follow the Docker Engine for names and images (live hosts only).</summary>
    public bool Docker { get; init; } = true;
    public string DockerSocket { get; init; } = "/var/run/docker.sock";
    /// <summary>Where the kernel state found at start is kept, so a start after `kill -9` restores the true original.</summary>
    public string? AuditStateFile { get; init; } = "/run/godo/audit-session.json";
    public AssemblyOptions Assembly { get; init; } = new();
    /// <summary>netlink: also write every record received to this file, as a raw audit log `godo replay` reads.</summary>
    public string? RecordPath { get; init; }
    /// <summary>netlink: also read every exit from the process events connector (auto), or rely on audit alone.</summary>
    public ExitSourceMode ExitSource { get; init; } = ExitSourceMode.Auto;
    /// <summary>Aggregators to report the tree to (akka.tcp://godo@H:P); none: the tree stays local.</summary>
    public IReadOnlyList<string> Aggregators { get; init; } = [];
    /// <summary>Address the agent's Akka.Remote binds; default 127.0.0.1 when every aggregator is on loopback, else 0.0.0.0.</summary>
    public string? RemoteHost { get; init; }
    /// <summary>Akka.Remote port of the agent; 0 (default) picks a free one.</summary>
    public int RemotePort { get; init; }
    /// <summary>Address the aggregators use to reach the agent back; default: the bind address, or this machine's name for 0.0.0.0.</summary>
    public string? PublicHost { get; init; }
    /// <summary>Mutual TLS for remoting (the agent's certificate names <see cref="HostName"/>); null: plain TCP.</summary>
    public FleetTrust? Tls { get; init; }
    /// <summary>What the tree keeps and sends of each process (argv cap); the aggregators apply theirs again.</summary>
    public ProcessCaps Caps { get; init; } = ProcessCaps.Default;
    /// <summary>Bytes of deltas the publisher holds while no aggregator answers; past it, a fresh snapshot replaces them.</summary>
    public long PublishBufferBytes { get; init; } = 8L * 1024 * 1024;

    public bool IsLive => Source == SourceKind.Netlink;
    public string SourceText => Source switch { SourceKind.File => "file:" + FilePath, SourceKind.Stdin => "stdin", _ => "netlink" };
}
