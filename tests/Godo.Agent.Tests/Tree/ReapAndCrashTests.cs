using Godo.Agent.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

/// <summary>Deaths a log shows only through the parent's wait (wait4, waitid(P_PID)) or a core dump (ANOM_ABEND).</summary>
public sealed class ReapAndCrashTests
{
    private const int Bash = 24554;
    private const int Cron = 25000;

    private static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        h.Existing(Cron, 1, "/usr/sbin/cron", ["/usr/sbin/cron", "-f"]);
        return h;
    }

    private static int Sleeper(HostScript h, int parent, string seconds = "100")
    {
        var pid = h.Fork(parent);
        h.Exec(pid, "/bin/sleep", ["sleep", seconds]);
        return pid;
    }

    [Fact]
    public void Wait4_returning_a_host_child_is_its_death_and_it_is_deleted_one_second_later()
    {
        var h = Host();
        var sleep = Sleeper(h, Bash);
        h.DieUnseen(sleep); // kill -TERM: no record
        var reap = h.Wait4(Bash, sleep);
        var n = h.Tree.Get(sleep)!;
        Assert.False(n.Alive);
        Assert.Equal(reap.TimeMs, n.ExitMs);
        Assert.Equal(1, h.Tree.Stats.Reaps);
        Assert.True(h.Tree.Get(Bash)!.Alive);
        h.Tree.Advance(reap.TimeMs + ProcessTree.DeletionDelayMs);
        Assert.Null(h.Tree.Get(sleep));
    }

    [Fact]
    public void A_blocking_wait_entered_before_the_child_ran_kills_it_when_it_returns_not_when_it_was_entered()
    {
        var h = Host();
        var entered = h.TimeMs;
        var sleep = Sleeper(h, Bash);
        h.Sleep(5000);
        h.Fork(Cron); // the log moves on while bash waits
        h.DieUnseen(sleep);
        var reap = h.Wait4(Bash, sleep, entryTimeMs: entered);
        Assert.Equal(entered, reap.TimeMs);
        var n = h.Tree.Get(sleep)!;
        Assert.False(n.Alive);
        Assert.Equal(h.Tree.NowMs, n.ExitMs);
        Assert.True(n.ExitMs > n.StartMs);
    }

    [Fact]
    public void Wait4_inside_a_container_returns_a_namespace_pid_which_is_mapped_to_the_child_never_to_a_host_pid()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "sleep 100; echo"]);
        var sleep = Sleeper(h, c.Init);
        var nsPid = h[sleep].NsPid!.Value;
        // a host process whose host pid is the namespace pid the wait returns
        h.Existing(nsPid, 1, "/usr/sbin/sshd", ["sshd"]);
        h.Exec(nsPid, "/usr/sbin/sshd", ["sshd"]);
        h.DieUnseen(sleep);
        var reap = h.Wait4(c.Init, sleep);
        Assert.Equal(nsPid, reap.Exit);
        Assert.False(h.Tree.Get(sleep)!.Alive);
        Assert.True(h.Tree.Get(nsPid)!.Alive);
        Assert.True(h.Tree.Get(c.Init)!.Alive);
        Assert.Equal(1, h.Tree.Stats.Reaps);
    }

    [Fact]
    public void Wait4_inside_a_container_of_a_namespace_pid_no_child_is_known_by_kills_nothing()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "x"]);
        var sleep = Sleeper(h, c.Init);
        var alive = h.Tree.AliveNodes.Count();
        h.Emit(c.Init, HostScript.Nr(SyscallKind.Wait4), success: true, exit: 77, a0: ulong.MaxValue);
        Assert.Equal(alive, h.Tree.AliveNodes.Count());
        Assert.True(h.Tree.Get(sleep)!.Alive);
        Assert.Equal(0, h.Tree.Stats.Reaps);
    }

    [Fact]
    public void A_child_killed_before_its_first_record_and_reaped_leaves_the_pairing_of_later_children_exact()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "x"]);
        var early = h.Fork(c.Init); // killed before it could exec: only the fork return (a namespace pid) is logged
        h.DieUnseen(early);
        h.Wait4(c.Init, early);
        var sleep = Sleeper(h, c.Init);
        Assert.Equal(h[sleep].NsPid, h.Tree.Get(sleep)!.NsPid);
        h.DieUnseen(sleep);
        h.Wait4(c.Init, sleep);
        Assert.False(h.Tree.Get(sleep)!.Alive);
        Assert.Equal(1, h.Tree.Stats.Reaps);
    }

    [Fact]
    public void A_reap_inside_a_container_never_trusts_a_namespace_pid_paired_among_several_fork_returns()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "x"]);
        var early = h.Fork(c.Init); // never writes a record, so the next child is paired with its namespace pid
        var sleep = Sleeper(h, c.Init);
        Assert.Equal(h[early].NsPid, h.Tree.Get(sleep)!.NsPid); // the tree's pairing is off by one here
        h.DieUnseen(early);
        h.Wait4(c.Init, early);
        Assert.True(h.Tree.Get(sleep)!.Alive);
        Assert.Equal(0, h.Tree.Stats.Reaps);
    }

    [Fact]
    public void Background_children_whose_first_records_come_in_another_order_than_their_forks_get_their_own_namespace_pids()
    {
        // sh -c 'sleep 1 & sleep 2 & sleep 3 & wait': three fork returns, then the children exec in another order.
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "x"]);
        var kids = new[] { h.Fork(c.Init), h.Fork(c.Init), h.Fork(c.Init) };
        foreach (var k in new[] { kids[2], kids[0], kids[1] }) h.Exec(k, "/bin/sleep", ["sleep", k.ToString()]);
        foreach (var k in kids) Assert.Equal(h[k].NsPid, h.Tree.Get(k)!.NsPid);
        h.DieUnseen(kids[1]);
        h.Wait4(c.Init, kids[1]);
        Assert.False(h.Tree.Get(kids[1])!.Alive);
        Assert.True(h.Tree.Get(kids[0])!.Alive);
        Assert.True(h.Tree.Get(kids[2])!.Alive);
    }

    [Fact]
    public void A_vfork_child_inside_a_container_gets_the_vfork_return_and_later_children_keep_their_own()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "x"]);
        var entered = h.TimeMs + 1;
        var v = h.Spawn(c.Init, 0x4111);
        h.Exec(v, "/bin/sleep", ["sleep", "1"]);                        // the vfork child runs first
        h.ForkReturn(c.Init, v, SyscallKind.Vfork, entryTimeMs: entered); // then the parent's record
        Assert.Equal(h[v].NsPid, h.Tree.Get(v)!.NsPid);
        var w = Sleeper(h, c.Init);
        Assert.Equal(h[w].NsPid, h.Tree.Get(w)!.NsPid);
        h.DieUnseen(v);
        h.Wait4(c.Init, v);
        Assert.False(h.Tree.Get(v)!.Alive);
        Assert.True(h.Tree.Get(w)!.Alive);
    }

    [Fact]
    public void Waitid_p_pid_names_the_child_in_a1_on_the_host_and_inside_a_container()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash"]);
        var host = Sleeper(h, Bash);
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "x"]);
        var inside = Sleeper(h, c.Init);
        h.DieUnseen(host);
        h.DieUnseen(inside);
        h.Waitid(Bash, host);
        var e = h.Waitid(c.Init, inside, WaitOptions.Exited | WaitOptions.NoWait); // a peek: the zombie is dead all the same
        Assert.Equal((ulong)h[inside].NsPid!.Value, e.A1);
        Assert.False(h.Tree.Get(host)!.Alive);
        Assert.False(h.Tree.Get(inside)!.Alive);
        Assert.Equal(2, h.Tree.Stats.Reaps);
    }

    [Theory]
    [InlineData(WaitOptions.Exited | WaitOptions.NoHang, WaitOptions.PPid)]      // returns 0 when nothing changed too
    [InlineData(WaitOptions.Exited | WaitOptions.Untraced, WaitOptions.PPid)]    // may have found it stopped
    [InlineData(WaitOptions.Exited | WaitOptions.Continued, WaitOptions.PPid)]
    [InlineData(WaitOptions.Untraced, WaitOptions.PPid)]
    [InlineData(WaitOptions.Exited, 0UL)]                                         // P_ALL: a1 is no pid
    [InlineData(WaitOptions.Exited, 3UL)]                                         // P_PIDFD: a1 is a file descriptor
    public void Waitid_that_cannot_say_a_child_died_is_no_death(ulong options, ulong idType)
    {
        var h = Host();
        var sleep = Sleeper(h, Bash);
        h.Waitid(Bash, sleep, options, idType);
        Assert.True(h.Tree.Get(sleep)!.Alive);
        Assert.Equal(0, h.Tree.Stats.Reaps);
    }

    [Theory]
    [InlineData(WaitOptions.Untraced)]                         // job control: Ctrl-Z
    [InlineData(WaitOptions.Continued)]
    [InlineData(WaitOptions.Untraced | WaitOptions.Continued | WaitOptions.NoHang)]
    [InlineData(WaitOptions.All)]                              // a tracer's wait returns every ptrace stop
    public void Wait4_that_may_report_a_stop_is_no_death(ulong options)
    {
        var h = Host();
        var sleep = Sleeper(h, Bash);
        h.Wait4(Bash, sleep, options);
        Assert.True(h.Tree.Get(sleep)!.Alive);
    }

    [Fact]
    public void Wait4_with_wnohang_that_returned_a_pid_is_a_death()
    {
        var h = Host();
        var sleep = Sleeper(h, Bash);
        h.DieUnseen(sleep);
        h.Wait4(Bash, sleep, WaitOptions.NoHang);
        Assert.False(h.Tree.Get(sleep)!.Alive);
    }

    [Fact]
    public void Wait4_returning_a_pid_that_is_not_the_callers_child_kills_nothing()
    {
        var h = Host();
        var other = Sleeper(h, Cron);
        h.Emit(Bash, HostScript.Nr(SyscallKind.Wait4), success: true, exit: other, a0: ulong.MaxValue);
        Assert.True(h.Tree.Get(other)!.Alive);
    }

    [Fact]
    public void A_reap_record_applied_after_its_pid_was_reused_does_not_kill_the_new_process()
    {
        var h = Host();
        var sleep = Sleeper(h, Bash);
        h.DieUnseen(sleep);
        var reap = h.Wait4(Bash, sleep, apply: false); // written, but applied only after the reuse below
        h.Fork(Cron, childPid: sleep);                  // the kernel hands the freed pid out again
        var reused = h.Tree.Get(sleep)!;
        h.Apply(reap);
        Assert.Same(reused, h.Tree.Get(sleep));
        Assert.True(reused.Alive);
        Assert.Equal(Cron, reused.Ppid);
        Assert.Equal(0, h.Tree.Stats.Reaps);
    }

    [Fact]
    public void Reap_of_a_child_already_seen_exiting_is_not_counted_twice()
    {
        var h = Host();
        var child = Sleeper(h, Bash);
        var exit = h.ExitGroup(child);
        h.Wait4(Bash, child);
        var n = h.Tree.Get(child)!;
        Assert.Equal(exit.TimeMs, n.ExitMs);
        Assert.Equal(1, h.Tree.Stats.Exits);
        Assert.Equal(0, h.Tree.Stats.Reaps);
    }

    [Fact]
    public void Anom_abend_is_a_crash_death_and_the_parents_reap_does_not_count_it_again()
    {
        var h = Host();
        var child = Sleeper(h, Bash);
        var crash = h.Crash(child, signal: 11);
        Assert.False(crash.HasSyscall);
        Assert.Equal(child, crash.CrashedPid);
        Assert.Equal(11, crash.CrashSignal);
        var n = h.Tree.Get(child)!;
        Assert.False(n.Alive);
        Assert.Equal(crash.TimeMs, n.ExitMs);
        Assert.Equal(1, h.Tree.Stats.Crashes);

        h.Wait4(Bash, child);
        Assert.Equal(0, h.Tree.Stats.Reaps);
        Assert.Equal(1, h.Tree.Stats.Exits);
    }

    [Fact]
    public void A_crash_of_a_containers_init_tears_the_container_down()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('c', 64), ["sh", "-c", "sleep 100 & x"]);
        var sleep = Sleeper(h, c.Init);
        h.Crash(c.Init, signal: 6);
        Assert.False(h.Tree.Get(c.Init)!.Alive);
        Assert.False(h.Tree.Get(sleep)!.Alive);
        Assert.Equal(1, h.Tree.Stats.ContainerTeardowns);
    }

    [Fact]
    public void A_crash_record_applied_after_its_pid_was_reused_does_not_kill_the_new_process()
    {
        var h = Host();
        var child = Sleeper(h, Bash);
        var crash = h.Crash(child, apply: false);
        h.Fork(Cron, childPid: child); // created by a later record
        h.Apply(crash);
        var n = h.Tree.Get(child)!;
        Assert.True(n.Alive);
        Assert.Equal(Cron, n.Ppid);
        Assert.Equal(0, h.Tree.Stats.Crashes);
    }
}
