using Godo.Agent.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

public sealed class ContainerTests
{
    private static readonly string Id = "1c67f918bd697fcdf92a04d3c2cc1ced896aba5b4e14b7074c11a5eb22f97dc4";
    private static readonly string[] Cmd = ["sh", "-c", "sleep 100000"];

    private static ProcessNode Node(HostScript h, int pid) => h.Tree.Get(pid) ?? throw new Xunit.Sdk.XunitException($"no node for pid {pid}");

    [Fact]
    public void Shim_and_runc_are_host_processes_and_runc_init_stage_2_becomes_the_container_init()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);

        var shim = Node(h, c.Shim);
        Assert.Null(shim.Container);
        Assert.Equal(Id, shim.ShimOf);
        Assert.True(shim.IsSubreaper);
        Assert.Equal(1, shim.Ppid);
        Assert.Null(Node(h, c.Runc).Container);
        Assert.Null(Node(h, c.RuncInit).Container);
        Assert.Null(Node(h, c.RuncChild).Container);

        var init = Node(h, c.Init);
        Assert.True(init.Alive);
        Assert.Equal(Id, init.Container);
        Assert.True(init.IsContainerInit);
        Assert.Equal(1, init.NsPid);
        Assert.Equal(c.Shim, init.Ppid);
        Assert.Equal(Cmd, init.Argv.ToArray());

        var state = h.Tree.Containers[Id];
        Assert.Same(shim, state.Shim);
        Assert.Same(init, state.Init);
        Assert.True(state.Running);
        Assert.Equal([c.Init], h.Tree.AliveNodes.Where(n => n.Container == Id).Select(n => n.Pid));
    }

    [Fact]
    public void Shim_launcher_with_start_is_not_the_containers_subreaper()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var launcher = Node(h, c.Launcher);
        Assert.True(launcher.IsShimCommand);
        Assert.False(launcher.IsSubreaper);
        Assert.NotSame(launcher, h.Tree.Containers[Id].Shim);
    }

    [Fact]
    public void The_shim_delete_command_after_a_stop_does_not_run_the_container_again()
    {
        // As `docker rm -f` does: the init is killed, the shim exits, then containerd runs the shim binary with
        // `delete` for the same id (and it runs `runc delete`). The container stays stopped: one stop, no step back.
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        h.Tree.TrackChanges = true;
        h.Tree.DrainDelta();
        h.ExitGroup(c.Init);
        h.ExitGroup(c.Shim);
        var cleanup = h.Fork(HostScript.ContainerdPid, SyscallKind.Clone, 0x4111);
        h.Exec(cleanup, HostScript.ShimExe, [HostScript.ShimExe, "-namespace", "moby", "-address", "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", Id, "delete"]);
        var runcDelete = h.Fork(cleanup, SyscallKind.Clone, 0x4111);
        h.Exec(runcDelete, HostScript.RuncExe, ["runc", "--root", "/var/run/docker/runtime-runc/moby", "delete", "--force", Id]);
        Assert.Null(Node(h, runcDelete).Container);
        h.ExitGroup(runcDelete);
        h.ExitGroup(cleanup);

        Assert.True(Node(h, cleanup).IsShimCommand);
        Assert.False(h.Tree.Containers.TryGetValue(Id, out var st) && st.Running);
        var steps = h.Tree.DrainDelta().ContainerSteps[Id];
        Assert.Null(steps[^1].Info);
        Assert.Single(steps, s => s.Info is null);
    }

    [Fact]
    public void Processes_forked_inside_inherit_the_container_and_their_namespace_pid()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var sh = h.Fork(c.Init);
        h.Exec(sh, "/bin/sleep", ["sleep", "100000"]);
        var n = Node(h, sh);
        Assert.Equal(Id, n.Container);
        Assert.Equal(c.Init, n.Ppid);
        Assert.Equal(h[sh].NsPid, n.NsPid);
        Assert.False(n.IsContainerInit);
        Assert.Contains(n, h.Tree.Containers[Id].Members);
    }

    [Fact]
    public void Docker_exec_process_joins_the_container_but_is_not_its_init()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var p = h.DockerExec(c, ["sleep", "100006"]);
        var n = Node(h, p);
        Assert.Equal(Id, n.Container);
        Assert.False(n.IsContainerInit);
        Assert.Equal(c.Shim, n.Ppid);
        Assert.Equal(["sleep", "100006"], n.Argv.ToArray());
        Assert.Same(Node(h, c.Init), h.Tree.Containers[Id].Init);
        Assert.True(Node(h, c.Init).IsContainerInit);
    }

    [Fact]
    public void Two_containers_are_kept_apart()
    {
        var h = new HostScript();
        var a = h.StartContainer(new string('a', 64), Cmd);
        var b = h.StartContainer(new string('b', 64), ["sleep", "5"]);
        var inA = h.Fork(a.Init);
        h.Exec(inA, "/bin/sleep", ["sleep", "1"]);
        Assert.Equal(new string('a', 64), Node(h, inA).Container);
        Assert.Equal(new string('b', 64), Node(h, b.Init).Container);
        Assert.Equal(2, h.Tree.Containers.Values.Count(s => s.Running));
    }

    [Fact]
    public void Container_init_exit_tears_down_all_the_containers_processes()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var a = h.Fork(c.Init);
        h.Exec(a, "/bin/sleep", ["sleep", "1"]);
        var b = h.Fork(a);
        h.Exec(b, "/bin/sleep", ["sleep", "3"]); // known from its own record: inside the container, fork returns namespace pids
        var ex = h.DockerExec(c, ["sleep", "2"]);
        var exit = h.ExitGroup(c.Init);

        foreach (var pid in new[] { c.Init, a, b, ex })
        {
            Assert.False(Node(h, pid).Alive, $"pid {pid} should be dead");
            Assert.Equal(exit.TimeMs, Node(h, pid).ExitMs);
        }
        Assert.True(Node(h, c.Shim).Alive);
        Assert.DoesNotContain(h.Tree.AliveNodes, n => n.Container == Id);
        Assert.Equal(1, h.Tree.Stats.ContainerTeardowns);
        h.Tree.Advance(exit.TimeMs + ProcessTree.DeletionDelayMs);
        Assert.All(new[] { c.Init, a, b, ex }, pid => Assert.Null(h.Tree.Get(pid)));
    }

    [Fact]
    public void Sigkill_of_the_container_init_tears_down_the_container()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var a = h.Fork(c.Init);
        h.Exec(a, "/bin/sleep", ["sleep", "1"]);
        var runcKill = h.Fork(c.Shim, SyscallKind.Clone, 0x4111);
        h.Exec(runcKill, HostScript.RuncExe, ["runc", "--root", "/var/run/docker/runtime-runc/moby", "kill", Id, "9"]);
        h.Signal(runcKill, c.Init, 9);
        Assert.False(Node(h, c.Init).Alive);
        Assert.False(Node(h, a).Alive);
    }

    [Fact]
    public void Shim_exit_tears_down_all_the_containers_processes()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var a = h.Fork(c.Init);
        h.Exec(a, "/bin/sleep", ["sleep", "1"]);
        h.Existing(5000, 1, "/usr/bin/pkill", ["pkill", "-9", "containerd-shim"]);
        h.Signal(5000, c.Shim, 9);
        Assert.False(Node(h, c.Shim).Alive);
        Assert.False(Node(h, c.Init).Alive);
        Assert.False(Node(h, a).Alive);
        Assert.False(h.Tree.Containers.TryGetValue(Id, out var st) && st.Running);
    }

    [Fact]
    public void Host_processes_survive_a_container_teardown()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        h.ExitGroup(c.Init);
        Assert.True(Node(h, HostScript.ContainerdPid).Alive);
        Assert.True(Node(h, c.Shim).Alive);
    }

    [Fact]
    public void Script_replayed_as_log_text_gives_the_same_tree()
    {
        var h = new HostScript();
        var c = h.StartContainer(Id, Cmd);
        var a = h.Fork(c.Init);
        h.Exec(a, "/bin/sleep", ["sleep", "1"]);
        h.DockerExec(c, ["sleep", "2"]);
        var replay = h.ReplayAsync().GetAwaiter().GetResult();
        Assert.Equal(0, replay.Stats.Malformed);
        string Key(ProcessNode n) => $"{n.Pid}/{n.Ppid}/{n.Container}/{string.Join(' ', n.Argv)}/{n.NsPid}";
        Assert.Equal(h.Tree.AliveNodes.Select(Key).Order(), replay.Tree.AliveNodes.Select(Key).Order());
    }

    [Fact]
    public void A_child_that_execs_before_its_parent_s_fork_returns_is_adopted_into_the_container()
    {
        // sh -c '(sleep 1003 &); exec sleep 1004' as a container's init: the subshell X forks C and exits. C can
        // run and exec on the other CPU before X's clone returns, so C's execve (ppid=X) comes first, while the
        // tree knows nothing of X yet (inside a container forks are linked through the child's own records).
        var h = new HostScript();
        var c = h.StartContainer(Id, ["sh", "-c", "(sleep 1003 &); exec sleep 1004"]);
        var x = h.Spawn(c.Init);
        var child = h.Spawn(x);
        h.Exec(child, "/bin/sleep", ["sleep", "1003"]);
        Assert.Null(Node(h, child).Container); // nothing to inherit from yet

        h.ForkReturn(c.Init, x);          // the init's record of forking X: a namespace pid, nothing to link
        h.ForkReturn(x, child);           // X's first record: X appears, and adopts its child
        var adopted = Node(h, child);
        Assert.Equal(Id, adopted.Container);
        Assert.True(adopted.InContainerPidNs);
        Assert.Equal(h.PidSeenBy(x, child), adopted.NsPid); // the return value X saw is the child's pid in the container
        Assert.Contains(adopted, Node(h, x).Children);
        Assert.Equal(1, h.Tree.Stats.Adopted);

        h.ExitGroup(x);                   // the orphan goes to the container's init, as the kernel does
        Assert.Equal(c.Init, Node(h, child).Ppid);
        h.Exec(c.Init, "/bin/sleep", ["sleep", "1004"]);
        Assert.Equal(["sleep", "1003"], Node(h, child).Argv.ToArray());
        Assert.Contains(Node(h, child), h.Tree.Containers[Id].Members);
    }
}
