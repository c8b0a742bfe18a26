using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Tree;

public sealed class ExecTests
{
    private const int Bash = 24554;
    private static readonly string[] BashArgv = ["/bin/bash", "/opt/w.sh"];

    private static HostScript Host()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", BashArgv);
        return h;
    }

    [Fact]
    public void Every_execve_replaces_argv_exe_and_comm()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/usr/bin/env", ["env", "-i", "PATH=/bin", "/opt/run.sh"]);
        var n = h.Tree.Get(child)!;
        Assert.Equal(("env", "/usr/bin/env"), (n.Comm, n.Exe));
        Assert.Equal(["env", "-i", "PATH=/bin", "/opt/run.sh"], n.Argv.ToArray());

        h.Exec(child, "/opt/run.sh", ["/bin/bash", "/opt/run.sh"], exe: "/usr/bin/bash");
        Assert.Equal(("run.sh", "/usr/bin/bash"), (n.Comm, n.Exe));
        Assert.Equal(["/bin/bash", "/opt/run.sh"], n.Argv.ToArray());
        Assert.Same(n, h.Tree.Get(child));
    }

    [Fact]
    public void Execveat_replaces_the_program_too()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/proc/self/fd/6", ["runc", "init"], exe: "/", comm: "runc", kind: SyscallKind.Execveat);
        var n = h.Tree.Get(child)!;
        Assert.Equal(["runc", "init"], n.Argv.ToArray());
        Assert.Equal("/", n.Exe);
    }

    [Fact]
    public void Failed_execve_changes_nothing()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/nonexistent", ["/nonexistent"], success: false);
        var n = h.Tree.Get(child)!;
        Assert.Equal(BashArgv, n.Argv.ToArray());
        Assert.Equal("/usr/bin/bash", n.Exe);
    }

    [Fact]
    public void Exec_arguments_with_spaces_quotes_and_utf8_are_decoded()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/bin/echo", ["echo", "héllo wörld ✓", "say \"hi\"", ""]);
        Assert.Equal(["echo", "héllo wörld ✓", "say \"hi\"", ""], h.Tree.Get(child)!.Argv.ToArray());
    }

    [Fact]
    public void Exec_of_a_program_with_a_spaced_non_ascii_path_decodes_exe_and_cwd()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/opt/my café/tool", ["/opt/my café/tool"], cwd: "/home/a user");
        var n = h.Tree.Get(child)!;
        Assert.Equal("/opt/my café/tool", n.Exe);
        Assert.Equal("tool", n.Comm);
        Assert.Equal("/home/a user", n.Cwd);
    }

    [Fact]
    public void Fork_without_exec_keeps_the_parents_argv_even_after_the_parent_execs()
    {
        var h = Host();
        var child = h.Fork(Bash);
        var grandchild = h.Fork(child);
        h.Exec(Bash, "/usr/bin/python3", ["python3", "x.py"]);
        Assert.Equal(BashArgv, h.Tree.Get(child)!.Argv.ToArray());
        Assert.Equal(BashArgv, h.Tree.Get(grandchild)!.Argv.ToArray());
        Assert.Equal(["python3", "x.py"], h.Tree.Get(Bash)!.Argv.ToArray());
    }

    [Fact]
    public void Process_first_seen_at_a_non_exec_record_takes_its_argv_from_proctitle()
    {
        var h = new HostScript();
        h.Existing(777, 1, "/usr/sbin/cron", ["/usr/sbin/cron", "-f"]);
        h.Fork(777);
        Assert.Equal(["/usr/sbin/cron", "-f"], h.Tree.Get(777)!.Argv.ToArray());
    }

    [Fact]
    public void Exec_without_an_execve_record_takes_argv_from_proctitle()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h[child].Argv = ["/usr/bin/python3", "-m", "http.server"]; // the new image's cmdline, as PROCTITLE shows it
        h[child].Exe = "/usr/bin/python3.11";
        h[child].Comm = "python3";
        h.Emit(child, HostScript.Nr(SyscallKind.Execve), success: true, exit: 0, extra: [("CWD", "cwd=\"/srv\"")]);
        var n = h.Tree.Get(child)!;
        Assert.Equal(["/usr/bin/python3", "-m", "http.server"], n.Argv.ToArray());
        Assert.Equal("/usr/bin/python3.11", n.Exe);
        Assert.Equal("/srv", n.Cwd);
    }
}
