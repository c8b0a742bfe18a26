using System.Collections.Immutable;

namespace Godo.Messages.Api;

/// <summary>One row of `GET /api/processes`: a process of the public schema, with its host (and container name).</summary>
public sealed record ProcessRow(
    string Host, int Pid, int Ppid, string? Comm, string? Exe, ImmutableArray<string> Argv, string? Cwd, int? Uid,
    string? Container, string? ContainerName, int? NsPid, DateTimeOffset? StartedAt, string? User = null);
