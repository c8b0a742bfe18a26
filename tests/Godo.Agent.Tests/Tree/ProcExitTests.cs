using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

/// <summary>Exits from the process events connector, joined to audit's processes by pid and start time.</summary>
public sealed class ProcExitTests
{
    private const int Bash = ExitAndSignalTests.Bash;

    private static HostScript Host() => ExitAndSignalTests.Host();

    [Fact]
    public void A_signal_death_exits_the_process_from_its_time_reparents_its_children_and_is_deleted_a_second_later()
    {
        var h = Host();
        var sleeper = h.Fork(Bash);
        h.Exec(sleeper, "/bin/sleep", ["sleep", "100"]);
        var grandchild = h.Fork(sleeper);
        h.Sleep(50);
        h.Tree.ApplyProcExit(sleeper, h.TimeMs);
        var n = h.Tree.Get(sleeper)!;
        Assert.False(n.Alive);
        Assert.Equal(h.TimeMs, n.ExitMs);
        Assert.Equal(1, h.Tree.Get(grandchild)!.Ppid);
        Assert.Equal(1, h.Tree.Stats.ProcEvents);
        h.Tree.Advance(h.TimeMs + ProcessTree.DeletionDelayMs);
        Assert.Null(h.Tree.Get(sleeper));
    }

    [Fact]
    public void The_exit_of_a_process_that_also_called_exit_group_is_a_duplicate_and_so_are_its_own_late_records()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/bin/true", ["true"]);
        var exit = h.ExitGroup(child);
        h.Tree.ApplyProcExit(child, exit.TimeMs);
        Assert.Equal(0, h.Tree.Stats.ProcEvents);
        Assert.Equal(1, h.Tree.Stats.ProcEventsDuplicate);
        Assert.Equal(exit.TimeMs, h.Tree.Get(child)!.ExitMs);
    }

    [Fact]
    public void An_exit_never_kills_a_process_that_started_after_it()
    {
        // The old process on this pid died unseen; its late exit must leave the pid's new owner alone.
        var h = Host();
        var exitMs = h.TimeMs;
        h.Sleep(100);
        var reused = h.Fork(Bash);
        h.Tree.ApplyProcExit(reused, exitMs);
        Assert.True(h.Tree.Get(reused)!.Alive);
        Assert.Equal(1, h.Tree.Stats.ProcEventsStale);
        Assert.False(h.Tree.ApplyDeath(reused, exitMs, 0, DeathCause.ExitReported));
    }

    [Fact]
    public void An_exit_that_overtakes_audits_records_of_its_process_waits_for_them()
    {
        var h = Host();
        var child = h.Spawn(Bash);
        var fork = h.ForkReturn(Bash, child, apply: false);
        var exec = h.Exec(child, "/bin/sleep", ["sleep", "1"], apply: false);
        h.Tree.ApplyProcExit(child, h.TimeMs + 5); // the connector's path is shorter than audit's
        Assert.Null(h.Tree.Get(child));
        h.Apply(fork);
        h.Tree.ApplyMatchedEarlyExits();
        Assert.False(h.Tree.Get(child)!.Alive);
        h.Apply(exec); // a record from before the exit: a straggler, not a new process on the pid
        h.Tree.ApplyMatchedEarlyExits();
        Assert.False(h.Tree.Get(child)!.Alive);
        Assert.Equal(0, h.Tree.Stats.PidReuses);
        Assert.Equal(1, h.Tree.Stats.ProcEvents);
    }

    [Fact]
    public void An_exit_no_process_claims_within_the_window_is_counted_unknown_and_does_not_touch_a_later_process()
    {
        var h = Host();
        const int stranger = 31000;
        h.Tree.ApplyProcExit(stranger, h.TimeMs);
        h.Sleep(ProcessTree.EarlyExitWindowMs + 10);
        h.Fork(Bash);
        h.Tree.ApplyProcExit(Bash + 1000, h.TimeMs); // any later exit expires the old ones
        Assert.Equal(1, h.Tree.Stats.ProcEventsUnknown);
        var later = h.Fork(Bash, childPid: stranger);
        h.Tree.ApplyMatchedEarlyExits();
        Assert.True(h.Tree.Get(later)!.Alive);
    }
}
