using Godo.Agent.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

public sealed class ProcessCreationTests
{
    private const int Bash = 24554;
    private static readonly string[] BashArgv = ["/bin/bash", "/opt/godo-capture/workload-basic.sh"];

    private static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", BashArgv, comm: "workload-basic.");
        return h;
    }

    private static ProcessNode Node(HostScript h, int pid) => h.Tree.Get(pid) ?? throw new Xunit.Sdk.XunitException($"no node for pid {pid}");

    [Theory]
    [InlineData(SyscallKind.Fork)]
    [InlineData(SyscallKind.Vfork)]
    [InlineData(SyscallKind.Clone)]
    public void Fork_vfork_and_clone_create_the_child_from_the_return_value(SyscallKind kind)
    {
        var h = Host();
        var child = h.Fork(Bash, kind);
        var c = Node(h, child);
        Assert.True(c.Alive);
        Assert.Equal(Bash, c.Ppid);
        Assert.Equal(Bash, c.CreatorPid);
        Assert.Equal(BashArgv, c.Argv.ToArray());
        Assert.Equal("/usr/bin/bash", c.Exe);
        Assert.Contains(c, Node(h, Bash).Children);
    }

    [Fact]
    public void Clone_with_clone_parent_makes_a_sibling_of_the_caller()
    {
        var h = Host();
        var child = h.Fork(Bash, SyscallKind.Clone, flags: 0x8011);
        var c = Node(h, child);
        Assert.Equal(24510, c.Ppid);
        Assert.Equal(Bash, c.CreatorPid);
    }

    [Fact]
    public void Clone3_return_creates_nothing_until_the_child_is_seen_in_its_own_record()
    {
        var h = Host();
        var child = h.Fork(Bash, SyscallKind.Clone3);
        var count = h.Tree.Count;
        Assert.Null(h.Tree.Get(child));
        h.Exec(child, "/usr/bin/sleep", ["sleep", "5"]);
        var c = Node(h, child);
        Assert.Equal(count + 1, h.Tree.Count);
        Assert.Equal(Bash, c.Ppid);
        Assert.Equal(["sleep", "5"], c.Argv.ToArray());
    }

    [Fact]
    public void Clone3_child_whose_first_record_is_a_fork_inherits_the_parents_argv()
    {
        var h = Host();
        var child = h.Fork(Bash, SyscallKind.Clone3);
        h.Fork(child, SyscallKind.Clone3);
        var c = Node(h, child);
        Assert.Equal(Bash, c.Ppid);
        Assert.Equal(BashArgv, c.Argv.ToArray());
    }

    [Fact]
    public void Child_record_before_the_parents_fork_return_gives_one_process_with_the_childs_argv()
    {
        var h = Host();
        h.Exec(Bash, "/usr/bin/bash", BashArgv); // the tree knows the parent
        var child = h.Spawn(Bash);
        h.Exec(child, "/usr/bin/true", ["/bin/true", "x"]);
        var created = h.Tree.Stats.ProcessesCreated;
        h.ForkReturn(Bash, child, SyscallKind.Clone);
        var c = Node(h, child);
        Assert.Equal(created, h.Tree.Stats.ProcessesCreated);
        Assert.Equal(["/bin/true", "x"], c.Argv.ToArray());
        Assert.Equal(Bash, c.Ppid);
    }

    [Fact]
    public void Failed_fork_creates_nothing()
    {
        var h = Host();
        var before = h.Tree.Stats.ProcessesCreated;
        h.Emit(Bash, HostScript.Nr(SyscallKind.Clone), success: false, exit: -11, a0: 0x1200011);
        Assert.Equal(before + 1, h.Tree.Stats.ProcessesCreated); // only the caller itself, learnt from its record
        Assert.Equal(1, h.Tree.Count);
    }

    [Fact]
    public void Fork_inside_a_container_returns_a_namespace_pid_that_is_never_used_as_a_host_pid()
    {
        var h = new HostScript();
        var c = h.StartContainer("c0ffee" + new string('0', 58), ["sh", "-c", "sleep 1000"]);
        // A host process that happens to have the pid the container's fork will return.
        var hostPid = 3;
        h.Existing(hostPid, 1, "/usr/sbin/sshd", ["sshd: /usr/sbin/sshd -D"]);
        h.Exec(hostPid, "/usr/sbin/sshd", ["sshd: /usr/sbin/sshd -D"]);
        var count = h.Tree.Count;

        var child = h.Fork(c.Init, SyscallKind.Clone);
        Assert.Equal(3, h[child].NsPid); // what the fork returned
        var sshd = Node(h, hostPid);
        Assert.True(sshd.Alive);
        Assert.Equal(1, sshd.Ppid);
        Assert.Null(sshd.Container);
        Assert.Equal(["sshd: /usr/sbin/sshd -D"], sshd.Argv.ToArray());
        Assert.Equal(count, h.Tree.Count);
        Assert.Null(h.Tree.Get(child));

        h.Exec(child, "/bin/sleep", ["sleep", "1000"]);
        var n = Node(h, child);
        Assert.Equal(c.Init, n.Ppid);
        Assert.Equal(c.Id, n.Container);
        Assert.Equal(3, n.NsPid);
        Assert.Equal(["sleep", "1000"], n.Argv.ToArray());
    }

    [Fact]
    public void Compat_32_bit_fork_and_exec_are_recognised_by_the_i386_table()
    {
        var h = Host();
        h[Bash].Compat32 = true;
        var child = h.Fork(Bash, SyscallKind.Fork);
        Assert.Equal(SyscallKind.Fork, h.Last!.Kind);
        h.Exec(child, "/opt/legacy/app32", ["app32", "--serve"]);
        Assert.Equal(SyscallTable.ArchI386, h.Last!.Arch);
        var c = Node(h, child);
        Assert.Equal(Bash, c.Ppid);
        Assert.Equal(["app32", "--serve"], c.Argv.ToArray());
    }
}
