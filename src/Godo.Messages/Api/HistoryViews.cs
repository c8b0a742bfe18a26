using System.Collections.Immutable;
using Godo.Messages.Model;

namespace Godo.Messages.Api;

// The shapes of the queries over time (issue 11). Times are the kernel's (event time), as in `godo replay --until`.

/// <summary>
/// One process life in a window (`GET /api/processes?from=&amp;to=`): as it was last seen in the window, exited ones
/// included. <see cref="ExitCode"/> and <see cref="Signal"/> are set where the exit was seen with them.
/// </summary>
public sealed record ProcessLife(string Host, ProcessInfo Process, string? ContainerName = null, int? ExitCode = null, int? Signal = null);

/// <summary>`GET /api/hosts/{host}/processes/{pid}?at=T`: the process and its ancestors, parent first, up to pid 1, as they were at <see cref="At"/>.</summary>
public sealed record ProcessLineage(string Host, DateTimeOffset At, ProcessInfo Process, ImmutableArray<ProcessInfo> Ancestors);

/// <summary>`GET /api/containers/{key}/life`: a container's life on one host; null where that moment was not seen.</summary>
public sealed record ContainerLife(
    string Host, string Id, string? Name, string? Image,
    DateTimeOffset? CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? StoppedAt, DateTimeOffset? DestroyedAt);
