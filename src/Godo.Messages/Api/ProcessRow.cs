using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Godo.Messages.Api;

/// <summary>
/// One row of `GET /api/processes`: a process of the public schema, with its host (and container name). The argv
/// fields after <paramref name="User"/> are written only for a cut argv, as in <see cref="Model.ProcessInfo"/>.
/// </summary>
public sealed record ProcessRow(
    string Host, int Pid, int Ppid, string? Comm, string? Exe, ImmutableArray<string> Argv, string? Cwd, int? Uid,
    string? Container, string? ContainerName, int? NsPid, DateTimeOffset? StartedAt, string? User = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool ArgvTruncated = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int ArgvBytes = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int ArgvCount = 0);
