using Godo.Agent.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

public sealed class ExitAndSignalTests
{
    internal const int Bash = 24554;

    /// <summary>A host with a bash running a script (also the start of <see cref="ProcExitTests"/>).</summary>
    internal static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        return h;
    }

    [Fact]
    public void Exit_group_marks_the_process_exited_and_it_is_removed_one_second_of_event_time_later()
    {
        var h = Host();
        var child = h.Fork(Bash);
        var exit = h.ExitGroup(child);
        var n = h.Tree.Get(child);
        Assert.NotNull(n);
        Assert.False(n.Alive);
        Assert.Equal(exit.TimeMs, n.ExitMs);
        Assert.DoesNotContain(n, h.Tree.AliveNodes);

        h.Tree.Advance(exit.TimeMs + ProcessTree.DeletionDelayMs - 1);
        Assert.Same(n, h.Tree.Get(child));
        h.Tree.Advance(exit.TimeMs + ProcessTree.DeletionDelayMs);
        Assert.Null(h.Tree.Get(child));
    }

    [Fact]
    public void Deletion_follows_event_time_carried_by_later_events()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.ExitGroup(child);
        h.Sleep(500);
        h.Fork(Bash);
        Assert.NotNull(h.Tree.Get(child));
        h.Sleep(600);
        h.Fork(Bash);
        Assert.Null(h.Tree.Get(child));
    }

    [Fact]
    public void Zombie_is_dead_although_its_parent_has_not_reaped_it()
    {
        // Until bash calls wait(), /proc shows the child as state Z; it must not count as a live process.
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/bin/true", ["/bin/true"]);
        h.ExitGroup(child);
        var snapshot = h.Tree.Snapshot("h", DateTimeOffset.FromUnixTimeMilliseconds(h.TimeMs));
        Assert.DoesNotContain(snapshot.Processes, p => p.Pid == child);
        Assert.Contains(snapshot.Processes, p => p.Pid == Bash);
        var withExited = h.Tree.Snapshot("h", DateTimeOffset.FromUnixTimeMilliseconds(h.TimeMs), includeExited: true);
        Assert.NotNull(Assert.Single(withExited.Processes, p => p.Pid == child).ExitedAt);
    }

    [Fact]
    public void Late_record_of_an_exited_process_does_not_bring_it_back()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Fork(child, apply: false); // written before the exit, applied after it
        var fork = h.Last!;
        h.ExitGroup(child);
        h.Apply(fork);
        Assert.False(h.Tree.Get(child)!.Alive);
        Assert.Equal(1, h.Tree.Stats.EventsSkipped);
    }

    [Theory]
    [InlineData(SyscallKind.Kill)]
    [InlineData(SyscallKind.Tkill)]
    [InlineData(SyscallKind.Tgkill)]
    public void Sigkill_with_obj_pid_is_death(SyscallKind kind)
    {
        var h = Host();
        var victim = h.Fork(Bash);
        h.Exec(victim, "/usr/bin/sleep", ["sleep", "100"]);
        var killer = h.Fork(Bash);
        var e = h.Signal(killer, victim, 9, kind);
        Assert.Equal(kind, e.Kind);
        var v = h.Tree.Get(victim)!;
        Assert.False(v.Alive);
        Assert.Equal(e.TimeMs, v.ExitMs);
        Assert.True(h.Tree.Get(killer)!.Alive);
        Assert.Equal(1, h.Tree.Stats.Kills);
        h.Tree.Advance(e.TimeMs + ProcessTree.DeletionDelayMs);
        Assert.Null(h.Tree.Get(victim));
    }

    [Theory]
    [InlineData(SyscallKind.Kill, 15)]
    [InlineData(SyscallKind.Kill, 2)]
    [InlineData(SyscallKind.Kill, 19)]
    [InlineData(SyscallKind.Kill, 0)]
    [InlineData(SyscallKind.Tkill, 15)]
    [InlineData(SyscallKind.Tgkill, 6)]
    [InlineData(SyscallKind.Tgkill, 15)]
    public void Signals_other_than_sigkill_are_not_death(SyscallKind kind, int signal)
    {
        var h = Host();
        var victim = h.Fork(Bash);
        var killer = h.Fork(Bash);
        h.Signal(killer, victim, signal, kind);
        Assert.True(h.Tree.Get(victim)!.Alive);
        Assert.Equal(0, h.Tree.Stats.Kills);
    }

    [Fact]
    public void Tgkill_reads_the_signal_from_a2_not_a1()
    {
        // tgkill(tgid, tid, sig): a1 is the tid, which must not be taken for a signal number.
        var h = Host();
        var victim = h.Fork(Bash, childPid: 9);
        var killer = h.Fork(Bash);
        h.Signal(killer, victim, 15, SyscallKind.Tgkill); // a1 = 9 (the tid), a2 = 15
        Assert.True(h.Tree.Get(victim)!.Alive);
    }

    [Fact]
    public void Failed_kill_is_not_death()
    {
        var h = Host();
        var victim = h.Fork(Bash);
        var killer = h.Fork(Bash);
        h.Signal(killer, victim, 9, success: false);
        Assert.True(h.Tree.Get(victim)!.Alive);
    }

    [Fact]
    public void Sigkill_from_the_host_without_obj_pid_takes_the_target_from_a0()
    {
        var h = Host();
        var victim = h.Fork(Bash);
        var killer = h.Fork(Bash);
        h.Signal(killer, victim, 9, objPid: false);
        Assert.False(h.Tree.Get(victim)!.Alive);
    }

    [Fact]
    public void Sigkill_from_inside_a_container_without_obj_pid_never_kills_a_host_pid()
    {
        var h = new HostScript();
        var c = h.StartContainer(new string('d', 64), ["sh", "-c", "x"]);
        var victim = h.Fork(c.Init);
        h.Exec(victim, "/bin/sleep", ["sleep", "9"]);
        var nsPid = h[victim].NsPid!.Value;
        h.Existing(nsPid, 1, "/usr/sbin/sshd", ["sshd"]);
        h.Exec(nsPid, "/usr/sbin/sshd", ["sshd"]);
        h.Signal(c.Init, victim, 9, objPid: false); // a0 is the namespace pid
        Assert.True(h.Tree.Get(nsPid)!.Alive);
    }

    [Fact]
    public void Sigkill_to_a_process_group_with_several_obj_pid_records_kills_each_target()
    {
        var h = Host();
        var a = h.Fork(Bash);
        var b = h.Fork(Bash);
        var killer = h.Fork(Bash);
        h.Emit(killer, 62, success: true, exit: 0, a0: unchecked((ulong)-a), a1: 9, extra:
        [
            ("OBJ_PID", $"opid={a} oauid=-1 ouid=0 oses=-1 ocomm=\"bash\""),
            ("OBJ_PID", $"opid={b} oauid=-1 ouid=0 oses=-1 ocomm=\"bash\""),
        ]);
        Assert.False(h.Tree.Get(a)!.Alive);
        Assert.False(h.Tree.Get(b)!.Alive);
        Assert.True(h.Tree.Get(killer)!.Alive);
    }
}
