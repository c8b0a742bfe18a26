using System.Collections.Immutable;

namespace Godo.Agent.Proc;

/// <summary>All user-space processes of a host at one moment, sorted by pid.</summary>
public sealed record ProcSnapshot(DateTimeOffset TakenAt, DateTimeOffset BootTime, ImmutableArray<ProcEntry> Processes);
