using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>
/// Exits from the kernel's process events connector, joined to the processes audit describes by pid and start time.
/// They travel a shorter path than audit's records, so the exit of a short-lived process often arrives before the
/// records that create it: such an exit waits a while for its process instead of being dropped.
/// </summary>
public sealed partial class ProcessTree
{
    /// <summary>How long (event time) an exit waits for audit to create its process.</summary>
    public const long EarlyExitWindowMs = 2000;
    private const int MaxEarlyExits = 8192;

    private readonly Dictionary<int, long> _earlyExits = new();
    private readonly Queue<(int Pid, long TimeMs)> _earlyExitOrder = new();
    private readonly List<ProcessNode> _earlyExitsMatched = new();

    /// <summary>
    /// A process exit from the connector: exits the incarnation of <paramref name="pid"/> that started at or before
    /// <paramref name="timeMs"/>. An exit for an incarnation the tree already saw die is a duplicate (audit saw it too);
    /// one for a pid the tree does not know waits <see cref="EarlyExitWindowMs"/> for audit's records, then is counted.
    /// </summary>
    public void ApplyProcExit(int pid, long timeMs, int? waitStatus = null)
    {
        ApplyMatchedEarlyExits();
        ExpireEarlyExits();
        if (ApplyDeath(pid, timeMs, 0, DeathCause.ExitReported, waitStatus)) return;
        var node = Get(pid);
        if (node is not null)
        {
            if (node.StartMs > timeMs + DeathStartToleranceMs) Stats.ProcEventsStale++; // the pid was reused since
            else Stats.ProcEventsDuplicate++;
            return;
        }
        if (_earlyExits.Count >= MaxEarlyExits) { Stats.ProcEventsUnknown++; return; }
        _earlyExits[pid] = timeMs;
        _earlyExitOrder.Enqueue((pid, timeMs));
    }

    /// <summary>Exits whose process audit has created since they arrived: applied after the event that created it.</summary>
    public void ApplyMatchedEarlyExits()
    {
        if (_earlyExitsMatched.Count == 0) return;
        foreach (var n in _earlyExitsMatched)
        {
            if (!_earlyExits.Remove(n.Pid, out var at)) continue;
            if (!n.Alive) { Stats.ProcEventsDuplicate++; continue; } // its exit_group came with the records that made it
            MarkExited(n, Math.Max(at, n.StartMs), 0, new ExitNote(ExitCauses.Reported));
            Stats.ProcEvents++;
        }
        _earlyExitsMatched.Clear();
    }

    /// <summary>Called for every node added: the exit waiting for this pid is its own if it did not start after it.</summary>
    private void MatchEarlyExit(ProcessNode n)
    {
        if (_earlyExits.TryGetValue(n.Pid, out var at) && n.Alive && n.StartMs <= at + DeathStartToleranceMs)
            _earlyExitsMatched.Add(n);
    }

    private void ExpireEarlyExits()
    {
        while (_earlyExitOrder.TryPeek(out var head) && (head.TimeMs < NowMs - EarlyExitWindowMs || _earlyExitOrder.Count > MaxEarlyExits))
        {
            _earlyExitOrder.Dequeue();
            if (_earlyExits.TryGetValue(head.Pid, out var at) && at == head.TimeMs)
            {
                _earlyExits.Remove(head.Pid);
                Stats.ProcEventsUnknown++;
            }
        }
    }
}
