using System.Collections.Immutable;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>
/// What changed since the last drain: the process changes of a delta, and each changed container's state at each
/// moment it changed (event time, ms; null: no longer running), as the tree knows it (no Docker names).
/// </summary>
public sealed record TreeDelta(ImmutableArray<ProcessChange> Processes, IReadOnlyDictionary<string, IReadOnlyList<(long AtMs, ContainerInfo? Info)>> ContainerSteps);

public sealed partial class ProcessTree
{
    /// <summary>
    /// The changes since the last drain, as a delta carries them: every state a changed process went through, each at
    /// its own event time (a fork as root and its exec as nobody 1 ms later are two changes, and an exit that changes
    /// uid again a third), so history knows the tree at every moment, not only at the end of each batch.
    /// <paramref name="name"/> completes each state (user names).
    /// </summary>
    public TreeDelta DrainDelta(Func<ProcessInfo, ProcessInfo>? name = null)
    {
        name ??= static p => p;
        Seal();
        var steps = PendingSteps();
        var containerSteps = _containerSteps.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<(long, ContainerInfo?)>)kv.Value.ToArray(), StringComparer.Ordinal);
        var changed = DrainChanges();
        // Removals first, so a pid that was removed and reused in the same batch ends as the new process.
        var removals = ImmutableArray.CreateBuilder<ProcessChange>();
        var others = ImmutableArray.CreateBuilder<ProcessChange>();
        foreach (var n in changed)
        {
            var current = Get(n.Pid) == n;
            var kind = !current ? ProcessChangeKind.Removed : n.Alive ? ProcessChangeKind.Upsert : ProcessChangeKind.Exited;
            var procs = kind == ProcessChangeKind.Removed ? removals : others;
            var at = n.ChangedSinceMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(n.ChangedSinceMs) : (DateTimeOffset?)null;
            // What it was at each earlier change, in order, then what it is. A process removed since the last drain
            // went through its steps all the same: a life that began and was deleted between two drains (a drain
            // late by more than the deletion delay, under load) is history too, not a bare removal.
            if (steps.TryGetValue(n, out var earlier) && earlier.Count > 1)
            {
                for (var i = 0; i < earlier.Count - 1; i++)
                {
                    var (ms, step) = earlier[i];
                    procs.Add(new ProcessChange(step.ExitedAt is null ? ProcessChangeKind.Upsert : ProcessChangeKind.Exited,
                        name(step), DateTimeOffset.FromUnixTimeMilliseconds(ms), n.ExitNote?.ExitCode, n.ExitNote?.Signal));
                }
                at = DateTimeOffset.FromUnixTimeMilliseconds(earlier[^1].AtMs);
            }
            procs.Add(new ProcessChange(kind, name(ToInfo(n)), at, n.ExitNote?.ExitCode, n.ExitNote?.Signal));
        }
        return new TreeDelta([.. removals, .. others], containerSteps);
    }
}
