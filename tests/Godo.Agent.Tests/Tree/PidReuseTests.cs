using Godo.Agent.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

public sealed class PidReuseTests
{
    private const int Bash = 24554;
    private const int Other = 25000;

    private static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        h.Existing(Other, 1, "/usr/sbin/cron", ["/usr/sbin/cron", "-f"]);
        return h;
    }

    [Fact]
    public void Reused_pid_within_the_deletion_delay_is_a_new_process_not_the_old_one()
    {
        var h = Host();
        var pid = h.Fork(Bash);
        h.Exec(pid, "/usr/bin/sleep", ["sleep", "1"]);
        h.ExitGroup(pid);
        var old = h.Tree.Get(pid)!;
        h.Sleep(10);
        h.Fork(Other, childPid: pid); // the kernel hands the pid out again
        var n = h.Tree.Get(pid)!;
        Assert.NotSame(old, n);
        Assert.NotEqual(old.Id, n.Id);
        Assert.True(n.Alive);
        Assert.Equal(Other, n.Ppid);
        Assert.True(n.StartMs > old.StartMs);
        Assert.Equal(["/usr/sbin/cron", "-f"], n.Argv.ToArray());
        Assert.Equal(1, h.Tree.Stats.PidReuses);
    }

    [Fact]
    public void Pending_deletion_of_the_old_incarnation_never_removes_the_new_one()
    {
        var h = Host();
        var pid = h.Fork(Bash);
        var exit = h.ExitGroup(pid);
        h.Fork(Other, childPid: pid);
        h.Tree.Advance(exit.TimeMs + ProcessTree.DeletionDelayMs + 5);
        var n = h.Tree.Get(pid);
        Assert.NotNull(n);
        Assert.True(n.Alive);
        Assert.Equal(Other, n.Ppid);
    }

    [Fact]
    public void Reused_pid_seen_first_in_its_own_record_is_a_new_process()
    {
        var h = Host();
        var pid = h.Fork(Bash);
        h.Exec(pid, "/usr/bin/sleep", ["sleep", "1"]);
        h.ExitGroup(pid);
        var old = h.Tree.Get(pid)!;
        h.Sleep(5);
        h.Fork(Other, SyscallKind.Clone3, childPid: pid);
        h.Exec(pid, "/usr/bin/run-parts", ["run-parts", "/etc/cron.hourly"]);
        var n = h.Tree.Get(pid)!;
        Assert.NotSame(old, n);
        Assert.Equal(Other, n.Ppid);
        Assert.Equal(["run-parts", "/etc/cron.hourly"], n.Argv.ToArray());
        Assert.False(old.Alive);
    }

    [Fact]
    public void Reused_pid_after_deletion_is_simply_a_new_process()
    {
        var h = Host();
        var pid = h.Fork(Bash);
        h.ExitGroup(pid);
        h.Sleep(2000);
        h.Fork(Other, childPid: pid);
        var n = h.Tree.Get(pid)!;
        Assert.True(n.Alive);
        Assert.Equal(Other, n.Ppid);
    }

    [Fact]
    public void Pid_reused_after_an_unseen_death_gives_a_new_process()
    {
        // The first incarnation died without a record (e.g. killed while audit lost the event); its pid is reused
        // under another living parent that could not have inherited it.
        var h = Host();
        var pid = h.Fork(Bash);
        h.Exec(pid, "/usr/bin/sleep", ["sleep", "1"]);
        var old = h.Tree.Get(pid)!;
        h.Sleep(5);
        h.Fork(Other, SyscallKind.Clone3, childPid: pid);
        h.Exec(pid, "/usr/bin/run-parts", ["run-parts", "/etc/cron.daily"]);
        var n = h.Tree.Get(pid)!;
        Assert.NotSame(old, n);
        Assert.False(old.Alive);
        Assert.Equal(Other, n.Ppid);
        Assert.Equal(["run-parts", "/etc/cron.daily"], n.Argv.ToArray());
    }

    [Fact]
    public void Fork_return_naming_a_live_pid_of_another_parent_replaces_it()
    {
        var h = Host();
        var pid = h.Fork(Bash);
        var old = h.Tree.Get(pid)!;
        h.Fork(Other, childPid: pid); // only possible if the old one died unseen
        var n = h.Tree.Get(pid)!;
        Assert.NotSame(old, n);
        Assert.False(old.Alive);
        Assert.Equal(Other, n.Ppid);
    }

    [Fact]
    public void Late_vfork_return_for_an_already_exited_child_does_not_resurrect_it()
    {
        var h = Host();
        h.Exec(Bash, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        var entry = h.TimeMs;
        var child = h.Spawn(Bash);                        // vfork: the parent sleeps until the child execs or exits
        h.Exec(child, "/bin/true", ["/bin/true"]);
        h.ExitGroup(child);
        h.ForkReturn(Bash, child, SyscallKind.Vfork, entryTimeMs: entry); // written last, stamped with the entry time
        var n = h.Tree.Get(child)!;
        Assert.False(n.Alive);
        Assert.Equal(["/bin/true"], n.Argv.ToArray());
        Assert.Equal(1, h.Tree.Stats.LateForkReturns);
        Assert.DoesNotContain(h.Tree.AliveNodes, x => x.Pid == child);
    }

    [Fact]
    public void Late_fork_return_applied_after_the_childs_exit_does_not_resurrect_it()
    {
        var h = Host();
        h.Exec(Bash, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        var child = h.Fork(Bash, SyscallKind.Clone, apply: false);
        var ret = h.Last!;
        h.Exec(child, "/bin/true", ["/bin/true"]);
        h.ExitGroup(child);
        h.Apply(ret);
        Assert.False(h.Tree.Get(child)!.Alive);
        Assert.Equal(1, h.Tree.Stats.LateForkReturns);
    }

    [Fact]
    public void Same_parent_reusing_the_pid_of_its_exited_child_gets_a_new_process()
    {
        // A fork's record is stamped with the syscall's entry time: a late return is never newer than the
        // child's exit, while a fork that reuses the pid must have started after the old child was gone.
        var h = Host();
        h.Exec(Bash, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        var pid = h.Fork(Bash);
        h.Exec(pid, "/bin/true", ["/bin/true"]);
        var exit = h.ExitGroup(pid);
        var old = h.Tree.Get(pid)!;
        h.Sleep(20);
        h.Fork(Bash, childPid: pid); // a subshell that runs builtins only: it never writes a record of its own
        var n = h.Tree.Get(pid)!;
        Assert.NotSame(old, n);
        Assert.True(n.Alive);
        Assert.True(n.StartMs > exit.TimeMs);
        Assert.Equal(["/bin/bash", "/opt/w.sh"], n.Argv.ToArray());
        Assert.Equal(0, h.Tree.Stats.LateForkReturns);
    }
}
