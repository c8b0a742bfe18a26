using Godo.Agent.Audit;

namespace Godo.Agent.Tree;

/// <summary>How a death that left no exit_group or audited SIGKILL became known.</summary>
public enum DeathCause
{
    /// <summary>Its parent's wait4 or waitid(P_PID) returned it.</summary>
    Reaped,
    /// <summary>It dumped core (ANOM_ABEND) and dies of the signal.</summary>
    Crashed,
}

/// <summary>
/// Deaths by any signal the rules do not see being sent (SIGTERM, SIGINT, SIGPIPE, a crash, the OOM killer): the
/// process makes no syscall on its way out, so a log shows them only through the parent's reap or a core dump.
/// </summary>
public sealed partial class ProcessTree
{
    /// <summary>
    /// The living process with this pid that started at or before <paramref name="timeMs"/> is exited from
    /// <paramref name="timeMs"/> on (deleted <see cref="DeletionDelayMs"/> later); false when there is none,
    /// e.g. because it had exited already, so a death is never counted twice.
    /// </summary>
    public bool ApplyDeath(int pid, long timeMs, long serial, DeathCause cause)
    {
        if (Get(pid) is not { Alive: true } p || p.StartMs > timeMs) return false;
        if (cause == DeathCause.Reaped) Stats.Reaps++;
        else Stats.Crashes++;
        MarkExited(p, timeMs, serial);
        return true;
    }

    private void OnCrash(AuditEvent e)
    {
        Advance(e.TimeMs);
        // A pid reused after the crash belongs to a process created by a later record.
        if (Get(e.CrashedPid) is { } p && p.CreatedSerial > e.Serial) return;
        ApplyDeath(e.CrashedPid, e.TimeMs, e.Serial, DeathCause.Crashed);
    }

    private void OnWait(ProcessNode caller, AuditEvent e)
    {
        if (e.Success != true) return;
        int seen;
        if (e.Kind == SyscallKind.Wait4)
        {
            // A stop or a continue (WUNTRACED, WCONTINUED, or any ptrace stop, which tracers wait for with __WALL)
            // returns the pid of a child that still lives: only a plain wait's pid is a death.
            if (e.Exit is not > 0 || (e.A2 & (WaitOptions.Untraced | WaitOptions.Continued | WaitOptions.All)) != 0) return;
            seen = (int)e.Exit.Value;
        }
        else
        {
            // waitid returns 0 whatever it found; it names a dead child only when it waited for exits alone and
            // blocked (WNOHANG returns 0 with nothing found too). WNOWAIT leaves a zombie, which is dead as well.
            var options = e.A3;
            if (e.A0 != WaitOptions.PPid || (options & WaitOptions.Exited) == 0
                || (options & (WaitOptions.NoHang | WaitOptions.Untraced | WaitOptions.Continued | WaitOptions.All)) != 0) return;
            seen = (int)e.A1;
            if (seen <= 0) return;
        }
        // An already exited child was seen dying before (exit_group, SIGKILL): nothing to count twice.
        if (ReapedChild(caller, seen, e.Serial) is not { Alive: true } child || Get(child.Pid) != child) return;
        // The record carries the time the wait was entered; it was written after everything before it in the log.
        ApplyDeath(child.Pid, Math.Max(e.TimeMs, NowMs), e.Serial, DeathCause.Reaped);
    }

    /// <summary>
    /// The child a wait of <paramref name="caller"/> returned as <paramref name="seen"/>: a host pid, or inside a
    /// container a namespace pid, known only through the fork returns that told the children's namespace pids.
    /// Only a child the record could be about: the caller's, created by an earlier record (a reused pid's new
    /// process never is), whose namespace pid is certain. Null when it cannot be told, so a wrong process is never killed.
    /// </summary>
    private ProcessNode? ReapedChild(ProcessNode caller, int seen, long serial)
    {
        if (!caller.InContainerPidNs)
            return Get(seen) is { } c && c.Ppid == caller.Pid && c.CreatedSerial < serial ? c : null;
        // A fork return no child ever claimed: that child died before writing a record of its own (killed before
        // its exec). Now that it is reaped, drop it, so it is never paired with a later child.
        if (ForgetPendingNsChild(caller.Pid, seen)) return null;
        ProcessNode? oldest = null;
        foreach (var c in caller.Children)
            if (c.NsPid == seen && c.NsPidCertain && c.CreatedSerial < serial && (oldest is null || c.CreatedSerial < oldest.CreatedSerial)) oldest = c;
        return oldest;
    }

    // ---- namespace pids of children, for the reaps ----------------------------------------------

    /// <summary>
    /// The fork returns of one caller inside a container since its pending queue was last empty, and the children
    /// that claimed them. Children claim in the order their first records arrive, not the fork order, so with several
    /// pending the pairing may be crossed. Once every return of the batch is claimed, sorting both sides pairs them
    /// exactly: a caller forks one child after the other, and the kernel hands out each child's namespace pid and
    /// host pid together, so both grow in fork order (unless a counter wrapped: then nothing is certain).
    /// </summary>
    private sealed class NsBatch
    {
        public readonly List<int> NsPids = new();
        public readonly List<ProcessNode> Claimed = new();
        public bool Broken;
    }

    private readonly Dictionary<int, NsBatch> _nsBatches = new();
    private const int WrapGuard = 16384; // half the smallest pid_max: a wider span may hide a wrap

    private void StartOrExtendNsBatch(int creator, int nsPid, bool queueWasEmpty)
    {
        if (queueWasEmpty || !_nsBatches.TryGetValue(creator, out var batch)) _nsBatches[creator] = batch = new NsBatch();
        batch.NsPids.Add(nsPid);
    }

    private void ClaimNsPid(int creator, ProcessNode child, int stillPending)
    {
        child.NsPidCertain = false;
        if (!_nsBatches.TryGetValue(creator, out var batch)) return;
        batch.Claimed.Add(child);
        if (stillPending > 0) return;
        _nsBatches.Remove(creator);
        if (batch.Broken || batch.Claimed.Count != batch.NsPids.Count) return;
        var byHostPid = batch.Claimed.OrderBy(c => c.Pid).ToArray();
        var nsPids = batch.NsPids.Order().ToArray();
        if (byHostPid[^1].Pid - byHostPid[0].Pid > WrapGuard || nsPids[^1] - nsPids[0] > WrapGuard) return;
        for (var i = 0; i < nsPids.Length; i++)
        {
            var c = byHostPid[i];
            if (c.NsPid != nsPids[i]) { c.NsPid = nsPids[i]; Touch(c); }
            c.NsPidCertain = true;
        }
    }

    /// <summary>
    /// vfork (or clone with CLONE_VFORK, as posix_spawn does) returns only after the child exec'd or exited, so the
    /// child's own records came first: it is the caller's newest child without a namespace pid, created since the call.
    /// </summary>
    private void PairVforkChild(ProcessNode caller, AuditEvent e, int nsPid)
    {
        ProcessNode? newest = null;
        foreach (var c in caller.Children)
            if (c.NsPid is null && c.InContainerPidNs && c.StartMs >= e.TimeMs && c.CreatedSerial < e.Serial
                && (newest is null || c.CreatedSerial > newest.CreatedSerial)) newest = c;
        if (newest is null) return;
        newest.NsPid = nsPid;
        newest.NsPidCertain = true;
        Touch(newest);
    }

    private bool ForgetPendingNsChild(int creator, int nsPid)
    {
        if (!_pendingNsChildren.TryGetValue(creator, out var q) || !q.Contains(nsPid)) return false;
        if (_nsBatches.TryGetValue(creator, out var batch)) batch.Broken = true; // someone holds a pairing shifted by it
        var rest = q.Where(x => x != nsPid).ToArray();
        q.Clear();
        foreach (var x in rest) q.Enqueue(x);
        return true;
    }
}
