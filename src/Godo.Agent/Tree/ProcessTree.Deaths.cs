using Godo.Agent.Audit;
using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>How a death that left no exit_group or audited SIGKILL became known.</summary>
public enum DeathCause
{
    /// <summary>Its parent's wait4 or waitid(P_PID) returned it.</summary>
    Reaped,
    /// <summary>It dumped core (ANOM_ABEND) and dies of the signal.</summary>
    Crashed,
    /// <summary>The kernel's process events connector reported its exit (live hosts: any cause).</summary>
    ExitReported,
}

/// <summary>
/// Deaths by any signal the rules do not see being sent (SIGTERM, SIGINT, SIGPIPE, a crash, the OOM killer): the
/// process makes no syscall on its way out, so a log shows them only through the parent's reap or a core dump, and
/// a live host through the process events connector.
/// </summary>
public sealed partial class ProcessTree
{
    /// <summary>
    /// Clock slack when joining a death to an incarnation by start time: event times are the kernel's coarse wall
    /// clock, a little behind the moment they name, so only a start clearly after the death means another incarnation.
    /// </summary>
    public const long DeathStartToleranceMs = 10;

    /// <summary>
    /// The living process with this pid that started at or before <paramref name="timeMs"/> is exited from
    /// <paramref name="timeMs"/> on (its children go to their reaper, its deletion is due <see cref="DeletionDelayMs"/>
    /// later); false when there is none, e.g. because it had exited already, so a death is never counted twice.
    /// </summary>
    /// <param name="waitStatus">The wait status the death was reported with, when the source tells it (the connector).</param>
    public bool ApplyDeath(int pid, long timeMs, long serial, DeathCause cause, int? waitStatus = null, int? signal = null)
    {
        if (Get(pid) is not { Alive: true } p || p.StartMs > timeMs + DeathStartToleranceMs) return false;
        switch (cause)
        {
            case DeathCause.Reaped: Stats.Reaps++; break;
            case DeathCause.Crashed: Stats.Crashes++; break;
            default: Stats.ProcEvents++; break;
        }
        var name = cause switch { DeathCause.Reaped => ExitCauses.Reaped, DeathCause.Crashed => ExitCauses.Crashed, _ => ExitCauses.Reported };
        MarkExited(p, timeMs, serial, waitStatus is { } status ? ExitNote.FromWaitStatus(name, status) : new ExitNote(name, Signal: signal));
        return true;
    }

    private void OnCrash(AuditEvent e)
    {
        Advance(e.TimeMs);
        // A pid reused after the crash belongs to a process created by a later record.
        if (Get(e.CrashedPid) is { } p && p.CreatedSerial > e.Serial) return;
        ApplyDeath(e.CrashedPid, e.TimeMs, e.Serial, DeathCause.Crashed, signal: e.CrashSignal > 0 ? e.CrashSignal : null);
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
}
