using System.Collections.Immutable;
using Godo.Messages.Model;

namespace Godo.Agent.Docker;

/// <summary>What Docker says about one container (list + inspect).</summary>
public sealed record DockerContainer
{
    /// <summary>Full 64-hex id.</summary>
    public required string Id { get; init; }
    /// <summary>Name without the leading '/'.</summary>
    public string? Name { get; init; }
    /// <summary>The image as <c>docker ps</c> shows it: the reference the container was created from (e.g. <c>godo/busybox:1</c>).</summary>
    public string? Image { get; init; }
    /// <summary><c>sha256:…</c> id of the image.</summary>
    public string? ImageId { get; init; }
    /// <summary>created, running, paused, restarting, removing, exited or dead.</summary>
    public string? State { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    /// <summary>Last start; null when never started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Last exit; null while it has not exited since its first start.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Host pid of the container's init process; null when not running.</summary>
    public int? Pid { get; init; }
    public int? ExitCode { get; init; }
    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ContainerInfo ToContainerInfo(int processCount = 0, int? shimPid = null) => new()
    {
        Id = Id,
        Name = Name,
        Image = Image,
        InitPid = Pid,
        ShimPid = shimPid,
        ProcessCount = processCount,
        State = State,
        StartedAt = StartedAt,
        Labels = Labels,
    };
}
