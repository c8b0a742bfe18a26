using System.Collections.Immutable;
using System.Globalization;

namespace Godo.Agent.Docker;

/// <summary>What <see cref="DockerMetadataClient"/> publishes on its channel, in order.</summary>
public abstract record DockerNotification;

/// <summary>Docker became reachable (<see cref="Available"/> true) or stopped answering (false, with the reason).</summary>
public sealed record DockerAvailabilityChanged(bool Available, string? Reason) : DockerNotification;

/// <summary>
/// Every container Docker knows (running or not), listed after each (re)connection. It replaces what the
/// consumer knew: containers missing from it are gone. Events that follow it are newer than or concurrent with it,
/// and applying them on top in order gives the current state.
/// </summary>
public sealed record DockerContainersListed(ImmutableArray<DockerContainer> Containers, DateTimeOffset ListedAt) : DockerNotification;

/// <summary>Docker container lifecycle actions godo follows.</summary>
public enum DockerContainerAction
{
    Create,
    Start,
    Restart,
    Stop,
    Kill,
    Die,
    Oom,
    Pause,
    Unpause,
    Rename,
    Destroy,
}

/// <summary>One container event from Docker's <c>/events</c> stream.</summary>
/// <param name="Name">Container name (the NEW name for a rename).</param>
/// <param name="Attributes">Docker's actor attributes: the container's labels mixed with image, name, exitCode, signal, oldName.</param>
/// <param name="Container">Fresh inspect right after the event (when enabled and the container still exists); null for destroy.</param>
public sealed record DockerContainerEvent(
    DockerContainerAction Action,
    string ContainerId,
    string? Name,
    string? Image,
    DateTimeOffset Time,
    ImmutableDictionary<string, string> Attributes,
    DockerContainer? Container) : DockerNotification
{
    /// <summary>Previous name, for <see cref="DockerContainerAction.Rename"/>.</summary>
    public string? OldName => Attributes.TryGetValue("oldName", out var v) ? v.TrimStart('/') : null;

    /// <summary>Exit code, for <see cref="DockerContainerAction.Die"/>.</summary>
    public int? ExitCode => Attributes.TryGetValue("exitCode", out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : null;

    /// <summary>Signal, for <see cref="DockerContainerAction.Kill"/> (a number such as "9", or a name).</summary>
    public string? Signal => Attributes.TryGetValue("signal", out var v) ? v : null;
}
