namespace Godo.Agent.Tree;

/// <summary>Deaths the syscall rules cannot see: the process made no syscall on its way out (a signal, a crash, the OOM killer).</summary>
public sealed partial class ProcessTree
{
    /// <summary>
    /// Clock slack when joining a death to an incarnation by start time: event times are the kernel's coarse wall
    /// clock, a little behind the moment they name, so only a start clearly after the death means another incarnation.
    /// </summary>
    public const long DeathStartToleranceMs = 10;

    /// <summary>
    /// The living process with this pid that started at or before <paramref name="timeMs"/> is exited from
    /// <paramref name="timeMs"/> on (its children go to their reaper, its deletion is due 1 s later); false when none.
    /// </summary>
    public bool ApplyDeath(int pid, long timeMs)
    {
        if (Get(pid) is not { Alive: true } node || node.StartMs > timeMs + DeathStartToleranceMs) return false;
        MarkExited(node, timeMs, 0);
        return true;
    }
}
