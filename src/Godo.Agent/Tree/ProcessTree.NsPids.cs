using Godo.Agent.Audit;

namespace Godo.Agent.Tree;

/// <summary>
/// Namespace pids of children made inside a container, which a fork return tells and a wait returns: known for sure
/// only when the pairing of fork returns with the children's first records cannot have crossed.
/// </summary>
public sealed partial class ProcessTree
{
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

    /// <summary>A fork return no child ever claimed (it died before writing a record): drop it once it is reaped.</summary>
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
