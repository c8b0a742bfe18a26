using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Godo.Messages.Model;

/// <summary>
/// One process as godo knows it. This is the public schema of `godo replay --json`
/// and of the HTTP API, so field names are part of the contract (see README).
/// </summary>
public sealed record ProcessInfo
{
    public required int Pid { get; init; }
    public required int Ppid { get; init; }
    public string? Comm { get; init; }
    public string? Exe { get; init; }
    public ImmutableArray<string> Argv { get; init; } = ImmutableArray<string>.Empty;
    public string? Cwd { get; init; }
    public int? Uid { get; init; }
    /// <summary>The name of <see cref="Uid"/> on its host, when a live agent knows it (the host's /etc/passwd).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? User { get; init; }
    /// <summary>Full 64-hex container id, or null for a host process.</summary>
    public string? Container { get; init; }
    /// <summary>Pid inside the container's pid namespace, when known.</summary>
    public int? NsPid { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? ExitedAt { get; init; }
}
