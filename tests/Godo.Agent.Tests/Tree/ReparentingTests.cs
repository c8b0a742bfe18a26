using Godo.Agent.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

public sealed class ReparentingTests
{
    private const int Bash = 24554;
    private static readonly string Id = new('e', 64);

    private static ProcessNode Node(HostScript h, int pid) => h.Tree.Get(pid) ?? throw new Xunit.Sdk.XunitException($"no node for pid {pid}");

    private static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        return h;
    }

    [Fact]
    public void Orphan_on_the_host_is_reparented_to_pid_1()
    {
        var h = Host();
        var a = h.Fork(Bash);
        var b = h.Fork(a);
        h.ExitGroup(a);
        Assert.Equal(1, Node(h, b).Ppid);
        Assert.DoesNotContain(Node(h, b), Node(h, Bash).Children);
    }

    [Fact]
    public void Orphan_under_the_shim_goes_to_the_shim_as_nearest_living_subreaper()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh", "-c", "sleep 1"]);
        // A host helper of a runc command (like libnetwork-setkey): runc exits before it.
        var runc = h.Fork(c.Shim, SyscallKind.Clone, 0x4111);
        h.Exec(runc, HostScript.RuncExe, ["runc", "--root", "/r", "state", Id]);
        var hook = h.Fork(runc, SyscallKind.Clone, 0x4111);
        h.Exec(hook, "/usr/sbin/dockerd", ["libnetwork-setkey", "-exec-root=/var/run/docker", Id], comm: "exe");
        h.ExitGroup(runc);
        Assert.Equal(c.Shim, Node(h, hook).Ppid);
        Assert.Null(Node(h, hook).Container);
    }

    [Fact]
    public void Nearest_living_subreaper_is_found_past_living_ancestors_that_are_not_subreapers()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh", "-c", "sleep 1"]);
        var runc = h.Fork(c.Shim, SyscallKind.Clone, 0x4111);
        h.Exec(runc, HostScript.RuncExe, ["runc", "--root", "/r", "create", Id + "-hook"]);
        var hook = h.Fork(runc, SyscallKind.Clone, 0x4111);
        h.Exec(hook, "/usr/bin/hook", ["hook"]);
        var helper = h.Fork(hook);
        h.ExitGroup(hook);
        Assert.True(Node(h, runc).Alive);
        Assert.Equal(c.Shim, Node(h, helper).Ppid);
    }

    [Fact]
    public void Orphan_in_a_container_goes_to_the_container_init_not_to_its_grandparent()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh", "-c", "x"]);
        var a = h.Fork(c.Init);
        h.Exec(a, "/bin/sh", ["sh", "-c", "y"]);
        var b = h.Fork(a);
        h.Exec(b, "/bin/sh", ["sh", "-c", "z"]);
        var d = h.Fork(b);
        h.Exec(d, "/bin/sleep", ["sleep", "100004"]);
        h.ExitGroup(b);
        Assert.Equal(c.Init, Node(h, d).Ppid);
        Assert.Equal(Id, Node(h, d).Container);
        Assert.True(Node(h, d).Alive);
    }

    [Fact]
    public void Container_init_orphaned_by_runc_create_goes_to_the_shim_at_once()
    {
        // runc create exits while runc:[2:INIT] waits for `runc start`: the kernel hands the init to the shim
        // (runc's nearest subreaper in runc's own, host, namespace), before the init writes another record.
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh"], execInit: false);
        Assert.Equal(c.Shim, Node(h, c.Init).Ppid);
        Assert.Contains(Node(h, c.Init), Node(h, c.Shim).Children);
    }

    [Fact]
    public void Docker_exec_process_orphaned_by_runc_exec_goes_to_the_shim_even_if_it_exec_ed_first()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh", "-c", "sleep 100000"]);
        // runc exec; runc:[2:INIT] execs the command before `runc exec` exits, then never writes again.
        var runc = h.Fork(c.Shim, SyscallKind.Clone, 0x4111);
        h.Exec(runc, HostScript.RuncExe, ["runc", "--root", "/r", "exec", "--process", "/tmp/p.json", "--detach", Id]);
        var runcInit = h.Fork(runc, SyscallKind.Clone, 0x4111);
        h.Exec(runcInit, HostScript.RuncExe, ["runc", "init"], comm: "exe");
        h[runcInit].Comm = "runc:[0:PARENT]";
        var runcChild = h.Fork(runcInit, SyscallKind.Clone, 0x8011);
        h[runcChild].Comm = "runc:[1:CHILD]";
        var proc = h.Spawn(runcChild, 0x8011);
        h[proc].Container = Id;
        h[proc].NsPid = 40;
        h[proc].Comm = "runc:[2:INIT]";
        h.ForkReturn(runcChild, proc, SyscallKind.Clone, 0x8011);
        h.ExitGroup(runcChild);
        h.ExitGroup(runcInit);
        h.Thread(proc, clone3: true); // runc:[2:INIT]'s Go runtime starts threads before the exec
        h.Exec(proc, "/bin/sleep", ["sleep", "100006"], exe: "/bin/busybox");
        h.ExitGroup(runc);
        var n = Node(h, proc);
        Assert.Equal(Id, n.Container);
        Assert.Equal(c.Shim, n.Ppid);
    }

    [Fact]
    public void Stale_ppid_in_a_record_after_the_parents_exit_is_repaired()
    {
        var h = Host();
        var a = h.Fork(Bash);
        var b = h.Fork(a);
        h.ExitGroup(a);
        Assert.Equal(1, Node(h, b).Ppid);
        // The record was written while the kernel was still reparenting: it names the dead parent.
        h.Emit(b, HostScript.Nr(SyscallKind.Clone), success: true, exit: 31999, a0: 0x3d0f00, ppid: a);
        Assert.Equal(1, Node(h, b).Ppid);
        Assert.Equal(1, h.Tree.Stats.StalePpidRepaired);
    }

    [Fact]
    public void Stale_ppid_in_the_first_record_of_a_process_is_repaired_by_the_same_rule()
    {
        var h = Host();
        var a = h.Fork(Bash);
        var b = h.Fork(a, SyscallKind.Clone3); // seen only through its own records
        h.ExitGroup(a);
        h.Exec(b, "/usr/bin/sleep", ["sleep", "3"]); // ppid= still names a
        Assert.Equal(a, h[b].Ppid);
        var n = Node(h, b);
        Assert.Equal(1, n.Ppid);
        Assert.Equal(a, n.CreatorPid);
        Assert.Equal(["sleep", "3"], n.Argv.ToArray());
    }

    [Fact]
    public void Stale_ppid_in_the_first_record_inside_a_container_is_repaired_to_the_container_init()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh", "-c", "x"]);
        var a = h.Fork(c.Init);
        h.Exec(a, "/bin/sh", ["sh", "-c", "y"]);
        var b = h.Fork(a);
        h.ExitGroup(a);
        h.Exec(b, "/bin/sleep", ["sleep", "4"]);
        var n = Node(h, b);
        Assert.Equal(c.Init, n.Ppid);
        Assert.Equal(Id, n.Container);
    }

    [Fact]
    public void Record_naming_the_reaper_after_reparenting_changes_nothing()
    {
        var h = Host();
        var a = h.Fork(Bash);
        var b = h.Fork(a);
        h.ExitGroup(a);
        h.SetKernelPpid(b, 1);
        var reparented = h.Tree.Stats.Reparented;
        h.Exec(b, "/usr/bin/sleep", ["sleep", "3"]);
        Assert.Equal(1, Node(h, b).Ppid);
        Assert.Equal(reparented, h.Tree.Stats.Reparented);
    }
}
