using System.Diagnostics;
using System.Globalization;
using Godo.Agent.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// The live agent (netlink, unicast, real Docker) against /proc: after each step the agent's container processes
/// equal /proc on pid, ppid, container and argv, and its containers equal docker ps. Periodic reconciliation is off,
/// so the audit path alone must be right; the reconciliations Docker triggers when a container stops must find
/// nothing to correct, so every test ends with zero new corrections and no kernel loss.
/// </summary>
[Collection(KernelAuditCollection.Name)]
public class LiveTreeTests : IClassFixture<LiveAgentFixture>, IAsyncLifetime
{
    private readonly LiveAgentFixture _f;
    private readonly LiveSteps _steps;
    private readonly ITestOutputHelper _out;
    private int _corrections0;

    public LiveTreeTests(LiveAgentFixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _out = output;
        _steps = new LiveSteps(fixture.Agent, fixture.Containers, fixture.Reader, output);
    }

    public Task InitializeAsync()
    {
        _corrections0 = _f.Agent.CorrectionLines.Count;
        return Task.CompletedTask;
    }
    public Task DisposeAsync() => Task.CompletedTask;

    private LiveContainers C => _f.Containers;

    private static string Docker(params string[] args) => DockerCli.Run(args);

    /// <summary>SIGKILL, sent inside the container by its shell's kill builtin, to the processes running exactly <paramref name="argv"/>.</summary>
    private static void KillInside(string id, string argv) =>
        Docker("exec", id, "sh", "-c", "kill -9 $(ps -o pid,args | awk -v A=\"$0\" '{p=$1; $1=\"\"; sub(/^ /, \"\"); if ($0 == A) print p}')", argv);

    private Task AssertAuditPathWasExact() => _steps.AssertExact(_corrections0);

    [Fact]
    public async Task A_container_running_before_the_agent_started_is_seeded_from_proc_and_then_followed()
    {
        var id = _f.BootContainer;
        var tree = await _steps.Step("bootstrap", s => LiveSteps.Has(s, id, "sleep 2001", "sleep 2002", "sleep 2003"));
        var boot = Assert.Single(tree.Containers, c => c.Id == id);
        Assert.Equal(int.Parse(Docker("inspect", "-f", "{{.State.Pid}}", id), CultureInfo.InvariantCulture), boot.InitPid);

        Docker("exec", "-d", id, "sleep", "2004");
        await _steps.Step("exec into the seeded container", s => LiveSteps.Has(s, id, "sleep 2004"));

        // A SIGKILL sent inside the container to a seeded process (kill with a namespace pid; the record names the host pid).
        KillInside(id, "sleep 2001");
        await _steps.Step("kill -9 of a seeded process", s => !LiveSteps.Has(s, id, "sleep 2001"));
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Nested_process_trees()
    {
        var id = C.Run("nested", "sh", "-c", "sh -c 'sleep 1001 & sleep 1002 & wait' & wait");
        await _steps.Step("nested", s => LiveSteps.Has(s, id, "sleep 1001", "sleep 1002"));
        Docker("exec", "-d", id, "sh", "-c", "sh -c 'sh -c \"sleep 1021 & wait\" & sleep 1022 & wait' & wait");
        await _steps.Step("nested docker exec", s => LiveSteps.Has(s, id, "sleep 1021", "sleep 1022"));
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Docker_exec_detached()
    {
        var id = C.Run("exec", "sleep", "3000");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 3000"));
        Docker("exec", "-d", id, "sleep", "3001");
        await _steps.Step("exec -d sleep", s => LiveSteps.Has(s, id, "sleep 3001"));
        Docker("exec", "-d", id, "sh", "-c", "sleep 3002 & exec sleep 3003");
        await _steps.Step("exec -d sh with a child, then exec", s => LiveSteps.Has(s, id, "sleep 3002", "sleep 3003"));
        Docker("exec", id, "sh", "-c", "true");
        await _steps.Step("exec that ends", s => true);
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Orphans_of_a_double_fork_go_to_their_reaper()
    {
        var id = C.Run("orphan", "sh", "-c", "(sleep 1003 &); exec sleep 1004");
        await _steps.Step("double fork in init", s => LiveSteps.Has(s, id, "sleep 1003", "sleep 1004"));
        Docker("exec", "-d", id, "sh", "-c", "(sleep 1013 &); (sh -c 'sleep 1014 & sleep 1015 &'); sleep 1016");
        await _steps.Step("double forks in a docker exec", s => LiveSteps.Has(s, id, "sleep 1013", "sleep 1014", "sleep 1015", "sleep 1016"));
        KillInside(id, "sleep 1016");
        await _steps.Step("the exec'd shell ends", s => !LiveSteps.Has(s, id, "sleep 1016"));
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Threads_are_not_processes()
    {
        var sh = C.Run("threads-sh", "sh", "-c", "sleep 1004 & exec sleep 1005");
        // pid 1 runs 4 sleeping threads; a 5th thread forks `sleep 1006` and exits (the child's parent is the process).
        var mt = C.RunImage("threads", TestBinaries.TestbinImage, "threads", "4", "/bin/sleep", "1006");
        var tree = await _steps.Step("threads", s => LiveSteps.Has(s, sh, "sleep 1004", "sleep 1005") && LiveSteps.Has(s, mt, "threads 4 /bin/sleep 1006", "/bin/sleep 1006"));
        var mtPid = int.Parse(Docker("inspect", "-f", "{{.State.Pid}}", mt), CultureInfo.InvariantCulture);
        AssertOneProcess(tree, mtPid, expectThreads: 5);

        // Host side: the test host (many threads) is one process; so is a host copy of `threads`.
        AssertOneProcess(tree, Environment.ProcessId, expectThreads: 2);
        var psi = new ProcessStartInfo(TestBinaries.HostThreads()) { UseShellExecute = false };
        foreach (var a in new[] { "3", "/bin/sleep", "1007" }) psi.ArgumentList.Add(a);
        using var host = Process.Start(psi)!;
        try
        {
            var sw = Stopwatch.StartNew();
            Godo.Messages.Model.ProcessInfo? child = null;
            while (sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                tree = await _f.Agent.GetTreeAsync();
                child = tree.Processes.FirstOrDefault(p => p.Ppid == host.Id && p.Argv.SequenceEqual(["/bin/sleep", "1007"]));
                if (child is not null && Directory.GetDirectories($"/proc/{host.Id}/task").Length >= 4) break;
                await Task.Delay(100);
            }
            Assert.True(child is not null, "the host threads program's child (forked by a thread) is not in the tree under it");
            tree = await _f.Agent.GetTreeAsync();
            AssertOneProcess(tree, host.Id, expectThreads: 4);
            var self = Assert.Single(tree.Processes, p => p.Pid == host.Id);
            Assert.Equal([TestBinaries.HostThreads(), "3", "/bin/sleep", "1007"], self.Argv.ToArray());
            // SIGKILL both through /bin/kill (audited); the test host's own kill would be excluded with it.
            Assert.Equal(0, TestBinaries.Run("kill", "-9", host.Id.ToString(), child.Pid.ToString()).Exit);
            host.WaitForExit();
            sw.Restart();
            while (sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                tree = await _f.Agent.GetTreeAsync();
                if (!tree.Processes.Any(p => p.Pid == host.Id || p.Pid == child.Pid)) break;
                await Task.Delay(100);
            }
            Assert.DoesNotContain(tree.Processes, p => p.Pid == host.Id || p.Pid == child.Pid);
        }
        finally
        {
            if (!host.HasExited) host.Kill(entireProcessTree: true);
        }
        await AssertAuditPathWasExact();
    }

    /// <summary>The process is in the tree once, and none of its other threads' ids is a process there.</summary>
    private static void AssertOneProcess(Godo.Messages.Model.HostTree tree, int pid, int expectThreads)
    {
        var tids = Directory.GetDirectories($"/proc/{pid}/task").Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)).ToList();
        Assert.True(tids.Count >= expectThreads, $"pid {pid} has {tids.Count} threads, expected at least {expectThreads}");
        Assert.Single(tree.Processes, p => p.Pid == pid);
        var asProcesses = tree.Processes.Where(p => p.Pid != pid && tids.Contains(p.Pid)).ToList();
        Assert.True(asProcesses.Count == 0, $"threads of {pid} in the tree as processes: {string.Join(", ", asProcesses.Select(p => p.Pid))}");
    }

    [Fact]
    public async Task A_burst_of_1000_short_lived_execs()
    {
        var id = C.Run("burst", "sh", "-c", "sleep 4000 & exec sleep 4001");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 4000", "sleep 4001"));
        var execs0 = (await _f.Agent.GetTreeAsync()).Stats["execs"];
        Docker("exec", id, "sh", "-c", "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done");
        var tree = await _steps.Step("after 1000 execs", s => true);
        Assert.True(tree.Stats["execs"] - execs0 >= 1000, $"only {tree.Stats["execs"] - execs0} execs applied");
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Docker_stop_graceful_and_after_the_timeout()
    {
        // Exits on SIGTERM (exit_group of init; the kernel then kills `sleep 1009` with the namespace, silently).
        var graceful = C.Run("stop-term", "sh", "-c", "trap 'exit 0' TERM; sleep 1009 & wait");
        // Ignores SIGTERM (pid 1 without a handler): killed with SIGKILL after the timeout.
        var stubborn = C.Run("stop-kill", "sh", "-c", "sleep 1010 & exec sleep 1011");
        await _steps.Step("started", s => LiveSteps.Has(s, graceful, "sleep 1009") && LiveSteps.Has(s, stubborn, "sleep 1010", "sleep 1011"));
        Docker("stop", "-t", "5", graceful);
        await _steps.Step("docker stop (SIGTERM handled)", s => LiveSteps.Empty(s, graceful));
        Docker("stop", "-t", "1", stubborn);
        await _steps.Step("docker stop (SIGKILL after 1 s)", s => LiveSteps.Empty(s, stubborn));
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Docker_kill()
    {
        var id = C.Run("kill", "sh", "-c", "sh -c 'sleep 1031 & sleep 1032 & wait' & sleep 1033 & wait");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 1031", "sleep 1032", "sleep 1033"));
        Docker("exec", "-d", id, "sleep", "1034");
        await _steps.Step("exec", s => LiveSteps.Has(s, id, "sleep 1034"));
        Docker("kill", id);
        await _steps.Step("docker kill", s => LiveSteps.Empty(s, id));
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Docker_restart()
    {
        var id = C.Run("restart", "sh", "-c", "sleep 1041 & exec sleep 1042");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 1041", "sleep 1042"));
        var pid0 = Docker("inspect", "-f", "{{.State.Pid}}", id);
        Docker("restart", "-t", "1", id);
        var pid1 = Docker("inspect", "-f", "{{.State.Pid}}", id);
        Assert.NotEqual(pid0, pid1);
        var tree = await _steps.Step("docker restart", s => LiveSteps.Has(s, id, "sleep 1041", "sleep 1042"));
        Assert.Equal(int.Parse(pid1, CultureInfo.InvariantCulture), Assert.Single(tree.Containers, c => c.Id == id).InitPid);
        await AssertAuditPathWasExact();
    }

    [Fact]
    public async Task Docker_rm_force()
    {
        var id = C.Run("rm", "sh", "-c", "sh -c 'sleep 1051 & wait' & exec sleep 1052");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 1051", "sleep 1052"));
        Docker("rm", "-f", id);
        await _steps.Step("docker rm -f", s => LiveSteps.Empty(s, id));
        await AssertAuditPathWasExact();
    }
}
