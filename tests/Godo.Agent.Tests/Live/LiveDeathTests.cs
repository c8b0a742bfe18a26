using System.Globalization;
using Godo.Agent.Proc;
using Godo.Agent.Tests.Infrastructure;
using Godo.Messages.Model;
using Xunit.Abstractions;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// Deaths that make no exit syscall (signals at their default action, crashes, the OOM killer, reaps audit cannot
/// name): after each one the live tree equals /proc at once, zombies excluded, with reconciliation off. Only the
/// kernel's process events connector reports them, so each test also checks the connector applied exits.
/// </summary>
[Collection(KernelAuditCollection.Name)]
public class LiveDeathTests : IClassFixture<LiveAgentFixture>, IAsyncLifetime
{
    private readonly LiveAgentFixture _f;
    private readonly LiveSteps _steps;
    private int _corrections0;
    private long _deaths0;

    public LiveDeathTests(LiveAgentFixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _steps = new LiveSteps(fixture.Agent, fixture.Containers, fixture.Reader, output);
    }

    public async Task InitializeAsync()
    {
        Assert.Equal(1, Interlocked.Read(ref _f.Agent.Stats.ProcEventsOpen)); // the connector is open: these deaths need it
        _corrections0 = _f.Agent.CorrectionLines.Count;
        _deaths0 = SignalDeaths(await _f.Agent.GetTreeAsync());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private LiveContainers C => _f.Containers;

    private static string Docker(params string[] args) => DockerCli.Run(args);

    /// <summary>The live process of container <paramref name="id"/> running exactly <paramref name="argv"/>.</summary>
    private ProcEntry Find(string id, string argv) =>
        _f.Reader.ReadAll().Processes.Single(p => p.ContainerId == id && !p.IsZombie && string.Join(' ', p.Argv) == argv);

    private static void KillFromHost(string signal, int pid) =>
        Assert.Equal(0, TestBinaries.Run("kill", "-s", signal, pid.ToString(CultureInfo.InvariantCulture)).Exit);

    private static void KillInside(string id, string signal, int nsPid) =>
        Docker("exec", id, "kill", "-" + signal, nsPid.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Exact (no correction, no loss), with at least <paramref name="atLeast"/> deaths applied by the two sources that
    /// see signal deaths: the connector's exits, and audit's reaps and crashes (whichever arrives first applies it).
    /// </summary>
    private async Task AssertExactWithProcEvents(int atLeast)
    {
        await _steps.AssertExact(_corrections0);
        var applied = SignalDeaths(await _f.Agent.GetTreeAsync()) - _deaths0;
        Assert.True(applied >= atLeast, $"only {applied} deaths applied from the connector's exits and audit's reaps and crashes, expected at least {atLeast}");
    }

    private static long SignalDeaths(HostTree tree) =>
        tree.Stats.GetValueOrDefault("procEvents") + tree.Stats.GetValueOrDefault("reaps") + tree.Stats.GetValueOrDefault("crashes");

    /// <summary>Every exit the connector reported: applied, already seen by audit, or of a process audit never showed.</summary>
    private async Task<long> ProcEventsReported() =>
        (await _f.Agent.GetTreeAsync()).Stats.Where(kv => kv.Key.StartsWith("procEvents", StringComparison.Ordinal) && kv.Key != "procEventsLost").Sum(kv => kv.Value);

    [Fact]
    public async Task TERM_INT_HUP_and_QUIT_from_the_host_and_from_inside_the_container()
    {
        var id = C.Run("signals", "sleep", "5100");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 5100"));
        var signals = new[] { "TERM", "INT", "HUP", "QUIT" };
        for (var i = 0; i < signals.Length; i++)
        {
            Docker("exec", "-d", id, "sleep", $"51{i}1");
            Docker("exec", "-d", id, "sleep", $"51{i}2");
        }
        await _steps.Step("execs", s => LiveSteps.Has(s, id, signals.SelectMany((_, i) => new[] { $"sleep 51{i}1", $"sleep 51{i}2" }).ToArray()));
        for (var i = 0; i < signals.Length; i++)
        {
            var fromHost = $"sleep 51{i}1";
            KillFromHost(signals[i], Find(id, fromHost).Pid);
            await _steps.Step($"kill -{signals[i]} from the host", s => !LiveSteps.Has(s, id, fromHost));
            var inside = $"sleep 51{i}2";
            KillInside(id, signals[i], Find(id, inside).NsPid!.Value);
            await _steps.Step($"kill -{signals[i]} inside the container", s => !LiveSteps.Has(s, id, inside));
        }
        await AssertExactWithProcEvents(8);
    }

    [Fact]
    public async Task SIGPIPE_busybox_timeout_and_a_storm_of_1000_processes_killed_by_SIGTERM()
    {
        var id = C.Run("pipes", "sh", "-c", "sleep 5200 & exec sleep 5201");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 5200", "sleep 5201"));
        // `yes` dies of SIGPIPE (at its default action) once `head` has gone.
        Docker("exec", id, "sh", "-c", "trap - PIPE; yes | head -n 1 >/dev/null");
        await _steps.Step("yes | head", _ => true);
        // busybox timeout: the watcher child SIGTERMs the command (timeout exec'd itself into it) after 1 s.
        Assert.Equal(143, TestBinaries.Run("docker", "exec", id, "timeout", "1", "sleep", "5202").Exit); // 128 + SIGTERM
        await _steps.Step("timeout 1 sleep", s => !LiveSteps.Has(s, id, "sleep 5202"));
        var reported0 = await ProcEventsReported();
        Docker("exec", id, "sh", "-c", "i=0; while [ $i -lt 1000 ]; do sleep 5203 & kill $!; i=$((i+1)); done; wait");
        await _steps.Step("1,000 processes killed by SIGTERM", s => !LiveSteps.Has(s, id, "sleep 5203"));
        // A child killed before its first syscall never shows in audit (a fork in a container is linked through the
        // child's own records), so its exit is reported but finds no process: count what the connector reported.
        // An exit that came before its process's records waits up to 2 s for them before it is counted.
        await Eventually.Until(async () => await ProcEventsReported() - reported0 >= 1000, TimeSpan.FromSeconds(15),
            "the connector reported 1,000 exits");
        // How many of the 1,000 reach their first audited syscall before the kill is the scheduler's choice (a lighter
        // agent leaves the shell more CPU, and then most die first: 41 in one run): exactness is what is asserted.
        await AssertExactWithProcEvents(1);
    }

    [Fact]
    public async Task A_segfault_and_an_abort()
    {
        var id = C.RunImage("crash", TestBinaries.TestbinImage, "sleep", "5300");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "sleep 5300"));
        Docker("exec", "-d", id, "crash", "segv", "2");
        Docker("exec", "-d", id, "crash", "abort", "2");
        await _steps.Step("crash programs running", s => LiveSteps.Has(s, id, "crash segv 2", "crash abort 2"));
        await _steps.Step("SIGSEGV and SIGABRT", s => !LiveSteps.Has(s, id, "crash segv 2") && !LiveSteps.Has(s, id, "crash abort 2"));
        // Crashing at once: the exit can come before audit's records of the process.
        Docker("exec", id, "sh", "-c", "crash segv; crash abort; true");
        await _steps.Step("immediate crashes", _ => true);
        await AssertExactWithProcEvents(4);
    }

    [Fact]
    public async Task An_OOM_kill_in_a_memory_limited_container()
    {
        var id = C.RunWith("oom", ["-m", "16m", "--memory-swap", "16m"], DockerCollection.TestImage,
            "sh", "-c", "sleep 5400 & tail /dev/zero; exec sleep 5401");
        // `tail /dev/zero` never ends by itself (no newline: it keeps all it reads): only the OOM killer stops it.
        await _steps.Step("tail /dev/zero OOM-killed", s => LiveSteps.Has(s, id, "sleep 5400", "sleep 5401"));
        await AssertExactWithProcEvents(1);
    }

    [Fact]
    public async Task A_child_reaped_through_waitid_P_ALL_and_one_never_reaped()
    {
        var id = C.RunImage("reap", TestBinaries.TestbinImage, "sh", "-c", "waitall /bin/sleep 5500 & sleep 5501 & exec sleep 5502");
        await _steps.Step("started", s => LiveSteps.Has(s, id, "waitall /bin/sleep 5500", "/bin/sleep 5500", "sleep 5501", "sleep 5502"));
        KillFromHost("TERM", Find(id, "/bin/sleep 5500").Pid);
        await _steps.Step("reaped by waitid(P_ALL)", s => !LiveSteps.Has(s, id, "/bin/sleep 5500"));
        // `sleep 5502` (the exec'd init) is the parent of `sleep 5501` and never waits: it stays a zombie.
        var zombie = Find(id, "sleep 5501").Pid;
        KillFromHost("TERM", zombie);
        await _steps.Step("a zombie", s => s.Processes.Any(p => p.Pid == zombie && p.IsZombie));
        await AssertExactWithProcEvents(2);
    }

    [Fact]
    public async Task Docker_run_init_with_its_children_signalled()
    {
        var id = C.RunWith("init", ["--init"], DockerCollection.TestImage, "sh", "-c", "sh -c 'sleep 5601 & exec sleep 5602' & sleep 5603 & exec sleep 5604");
        await _steps.Step("started under tini", s => LiveSteps.Has(s, id, "sleep 5601", "sleep 5602", "sleep 5603", "sleep 5604"));
        Assert.Equal("true", Docker("inspect", "-f", "{{.HostConfig.Init}}", id));
        KillFromHost("TERM", Find(id, "sleep 5603").Pid);
        await _steps.Step("a grandchild of tini killed", s => !LiveSteps.Has(s, id, "sleep 5603"));
        // `sleep 5602` dies: its child `sleep 5601` is orphaned and goes to tini, the namespace's init.
        KillFromHost("HUP", Find(id, "sleep 5602").Pid);
        await _steps.Step("a parent killed, its child reparented to tini", s => !LiveSteps.Has(s, id, "sleep 5602"));
        // TERM: a background job of a non-interactive shell ignores SIGINT from its start.
        KillInside(id, "TERM", Find(id, "sleep 5601").NsPid!.Value);
        await _steps.Step("the orphan killed from inside", s => !LiveSteps.Has(s, id, "sleep 5601"));
        Docker("stop", "-t", "1", id);
        await _steps.Step("docker stop", s => LiveSteps.Empty(s, id));
        await AssertExactWithProcEvents(3);
    }
}
