using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Tree;

public sealed class ThreadTests
{
    private const int Py = 26000;

    private static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Py, 24554, "/usr/bin/python3.11", ["python3", "-c", "threads"]);
        h.Exec(Py, "/usr/bin/python3", ["python3", "-c", "threads"], exe: "/usr/bin/python3.11");
        return h;
    }

    [Fact]
    public void Clone_with_clone_thread_is_ignored()
    {
        var h = Host();
        var count = h.Tree.Count;
        var tid = h.Thread(Py);
        Assert.Null(h.Tree.Get(tid));
        Assert.Equal(count, h.Tree.Count);
        Assert.Equal(1, h.Tree.Stats.ThreadsIgnored);
    }

    [Fact]
    public void Clone3_thread_never_becomes_a_process()
    {
        var h = Host();
        var count = h.Tree.Count;
        var tid = h.Thread(Py, clone3: true);
        h.ThreadExit(Py);          // the thread's own records carry the tgid
        h.Thread(Py, clone3: true);
        Assert.Null(h.Tree.Get(tid));
        Assert.Equal(count, h.Tree.Count);
        Assert.All(h.Tree.Nodes, n => Assert.NotEqual(tid, n.Pid));
    }

    [Fact]
    public void Thread_exit_is_not_the_death_of_the_process()
    {
        var h = Host();
        h.Thread(Py);
        h.ThreadExit(Py);
        Assert.True(h.Tree.Get(Py)!.Alive);
    }

    [Fact]
    public void Execve_from_a_non_leader_thread_keeps_the_tgid()
    {
        var h = Host();
        var tid = h.Thread(Py);
        h.Exec(Py, "/usr/bin/env", ["env", "-i", "x"]); // the kernel writes pid= as the tgid
        var p = h.Tree.Get(Py)!;
        Assert.True(p.Alive);
        Assert.Equal(["env", "-i", "x"], p.Argv.ToArray());
        Assert.Equal("/usr/bin/env", p.Exe);
        Assert.Null(h.Tree.Get(tid));
    }

    [Fact]
    public void Fork_from_a_thread_makes_a_child_of_the_process()
    {
        var h = Host();
        h.Thread(Py);
        var child = h.Fork(Py, SyscallKind.Clone); // the record carries pid=tgid whichever thread forked
        Assert.Equal(Py, h.Tree.Get(child)!.Ppid);
    }
}
