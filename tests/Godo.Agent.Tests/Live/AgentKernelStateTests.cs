using System.Diagnostics;
using System.Text;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Agent.Proc;
using Godo.Agent.Tests.Infrastructure;
using Godo.Agent.Tests.Netlink;
using Xunit.Abstractions;
using Run = Godo.Agent.Tests.Netlink.Proc;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// What the live agent leaves in the (global) kernel audit state: nothing after it stops, nothing after a
/// `kill -9` followed by a restart and a stop, and beside a running auditd it reads multicast and leaves auditd's
/// registration, rules and log alone.
/// </summary>
[Collection(KernelAuditCollection.Name)]
public class AgentKernelStateTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private const string StateFile = "/run/godo/audit-session.json"; // the agent's default
    private static readonly string TestKeyField = $"key=\"{KernelAuditGuard.TestKey}\"";

    private static int CountInLog(string path, string text)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var all = new StreamReader(fs).ReadToEnd();
        var n = 0;
        for (var i = all.IndexOf(text, StringComparison.Ordinal); i >= 0; i = all.IndexOf(text, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public async Task Stopping_the_agent_host_removes_its_rules_and_gives_the_audit_pid_back()
    {
        using var guard = new KernelAuditGuard();
        var agent = await LiveAgent.StartAsync(LiveAgent.TestSettings(AuditMode.Unicast));
        try
        {
            var live = AuditctlStatus.Read();
            Assert.Equal((uint)Environment.ProcessId, live.Pid);
            Assert.Equal(1u, live.Enabled);
            Assert.NotEmpty(AuditctlStatus.RulesWithKey(GodoAuditRules.Key));
            Assert.True(File.Exists(agent.StateFile));
        }
        finally
        {
            await agent.StopAsync();
        }
        guard.AssertRestored();
        Assert.False(File.Exists(agent.StateFile));
        Assert.DoesNotContain(agent.Log, l => l.Contains("restoring the kernel audit state", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_a_kill_9_of_the_agent_process_a_restart_removes_the_leftover_rules_and_its_stop_restores_the_original_state()
    {
        using var guard = new KernelAuditGuard();
        var stateFile = "/run/godo/audit-session.json"; // the agent's default
        GodoProcess.Build();
        using var first = GodoProcess.Start("agent", "--no-docker", "--audit-mode", "unicast");
        try
        {
            first.WaitUntilDaemon();
            var rules = AuditctlStatus.RulesWithKey(GodoAuditRules.Key).Length;
            Assert.True(rules > 0);
            first.Kill9();
            // What a crash leaves: the rules, the settings the agent made, the state file with what it found.
            Assert.Equal(rules, AuditctlStatus.RulesWithKey(GodoAuditRules.Key).Length);
            Assert.Equal(1u, AuditctlStatus.Read().Enabled);
            Assert.True(File.Exists(stateFile), "the crashed agent's state file should remain");

            using var second = GodoProcess.Start("agent", "--no-docker", "--audit-mode", "unicast");
            second.WaitUntilDaemon();
            Assert.True(second.WaitForOutput($"{rules} stale godo rules removed", Wait), second.Output);
            Assert.Equal(rules, AuditctlStatus.RulesWithKey(GodoAuditRules.Key).Length); // replaced, not doubled
            var exit = second.Terminate();
            output.WriteLine(second.Output);
            Assert.Equal(0, exit);
        }
        finally
        {
            first.Kill9();
            output.WriteLine(first.Output);
        }
        // The second agent restored what the first one found, not what the first one had set.
        guard.AssertRestored();
        Assert.False(File.Exists(stateFile));
    }

    [Fact]
    public async Task Beside_auditd_auto_mode_reads_multicast_tracks_containers_and_leaves_auditd_its_rules_and_log()
    {
        using var guard = new KernelAuditGuard();
        using var auditd = AuditdProcess.Start();
        // As auditd's own start (or augenrules) would: auditing on, and a rule of auditd's.
        Run.Auditctl("-e", "1");
        Run.Auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "kill", "-F", "a1=15", "-k", KernelAuditGuard.TestKey);
        using var containers = new LiveContainers();
        var agent = await LiveAgent.StartAsync(LiveAgent.TestSettings(AuditMode.Auto));
        try
        {
            Assert.Contains(agent.Log, l => l.Contains("audit: Multicast mode", StringComparison.Ordinal));
            Assert.Equal((uint)auditd.Pid, AuditctlStatus.Read().Pid);

            var steps = new LiveSteps(agent, containers, new ProcSnapshotReader(), output);
            var id = containers.Run("auditd", "sh", "-c", "sh -c 'sleep 1061 & wait' & exec sleep 1062");
            await steps.Step("started beside auditd", s => LiveSteps.Has(s, id, "sleep 1061", "sleep 1062"));
            DockerCli.Run("exec", "-d", id, "sleep", "1063");
            await steps.Step("exec beside auditd", s => LiveSteps.Has(s, id, "sleep 1063"));
            DockerCli.Run("rm", "-f", id);
            await steps.Step("rm -f beside auditd", s => LiveSteps.Empty(s, id));
            Assert.Empty(steps.CorrectionsOfScope(0));
            Assert.True(auditd.WaitForLogLine("a1=\"1063\"", Wait), "auditd's log should have the docker exec too");
        }
        finally
        {
            await agent.StopAsync();
        }
        // auditd: still the registered daemon, its rule still loaded, its log still written; godo's rules gone.
        Assert.Equal((uint)auditd.Pid, AuditctlStatus.Read().Pid);
        Assert.Single(AuditctlStatus.RulesWithKey(KernelAuditGuard.TestKey));
        Assert.Empty(AuditctlStatus.RulesWithKey(GodoAuditRules.Key));
        Assert.Equal(1u, AuditctlStatus.Read().Enabled);
        var before = CountInLog(auditd.LogFile, TestKeyField);
        Assert.Equal(0, Run.Run("sh", "-c", "sleep 60 & kill -15 $!").Exit);
        var sw = Stopwatch.StartNew();
        while (CountInLog(auditd.LogFile, TestKeyField) <= before && sw.Elapsed < Wait) Thread.Sleep(50);
        Assert.True(CountInLog(auditd.LogFile, TestKeyField) > before, "auditd's own rule should still log after godo stopped");

        Run.Auditctl("-D", "-k", KernelAuditGuard.TestKey);
        auditd.Stop();
        Run.Auditctl("-e", guard.Found.Enabled.ToString());
        guard.AssertRestored();
    }

    /// <summary>
    /// `kill -9` while the agent's parent does not reap it: the state file's owner (and, until the kernel notices, its
    /// audit pid) is a zombie. A new agent must see it is dead, become the audit daemon itself (unicast, not multicast
    /// beside a "daemon" that is a zombie), replace the rules, and restore on stop what the first one found.
    /// </summary>
    [Fact]
    public void A_restart_after_a_kill_9_works_while_the_predecessor_is_an_unreaped_zombie()
    {
        using var guard = new KernelAuditGuard();
        GodoProcess.Build();
        using var first = GodoProcess.StartUnreaped("agent", "--no-docker");
        try
        {
            first.WaitUntilDaemon();
            var rules = AuditctlStatus.RulesWithKey(GodoAuditRules.Key).Length;
            first.Kill9();
            Assert.Equal('Z', GodoProcess.OwnerState(first.Pid));
            // The kernel may still name the zombie as audit daemon, or may have dropped it on a failed send already.

            using var second = GodoProcess.Start("agent", "--no-docker");
            second.WaitUntilDaemon();
            Assert.True(second.WaitForOutput($"{rules} stale godo rules removed", Wait), second.Output);
            Assert.Contains($"its agent pid {first.Pid} died without restoring (a zombie)", second.Output);
            Assert.Contains("audit: Unicast mode", second.Output);
            Assert.Equal(0, second.Terminate());
        }
        finally
        {
            output.WriteLine(first.Output);
        }
        guard.AssertRestored();
        Assert.False(File.Exists(StateFile));
    }

    /// <summary>
    /// The state file names a pid that another program holds now (pid reuse after a `kill -9`): the owner is told by
    /// its start time and executable, so the new agent starts, and restores what the dead one recorded.
    /// </summary>
    [Fact]
    public void A_restart_after_a_kill_9_works_when_the_predecessor_pid_now_belongs_to_another_program()
    {
        using var guard = new KernelAuditGuard();
        GodoProcess.Build();
        using var first = GodoProcess.Start("agent", "--no-docker", "--audit-mode", "unicast");
        using var other = Process.Start(new ProcessStartInfo("sleep", "1000") { UseShellExecute = false })!;
        try
        {
            first.WaitUntilDaemon();
            first.Kill9();
            // What reuse looks like to the successor: the recorded pid is alive, but is not the recorded process.
            var recorded = File.ReadAllText(StateFile);
            File.WriteAllText(StateFile, recorded.Replace($"\"OwnerPid\":{first.Pid},", $"\"OwnerPid\":{other.Id},", StringComparison.Ordinal));
            Assert.Contains($"\"OwnerPid\":{other.Id},", File.ReadAllText(StateFile));

            using var second = GodoProcess.Start("agent", "--no-docker", "--audit-mode", "unicast");
            second.WaitUntilDaemon();
            Assert.Contains($"its agent pid {other.Id} died without restoring (its pid now belongs to another process)", second.Output);
            Assert.Equal(0, second.Terminate());
        }
        finally
        {
            other.Kill();
            output.WriteLine(first.Output);
        }
        // What the first agent found, not what it set: the second restored the recorded state.
        guard.AssertRestored();
        Assert.False(File.Exists(StateFile));
    }

    /// <summary>A second agent while the first runs: refused in one line on stderr, no stack trace, exit 2; the first is untouched.</summary>
    [Fact]
    public void A_second_agent_beside_a_running_one_is_refused_in_one_line()
    {
        using var guard = new KernelAuditGuard();
        GodoProcess.Build();
        using var first = GodoProcess.Start("agent", "--no-docker", "--audit-mode", "unicast");
        try
        {
            first.WaitUntilDaemon();
            using var second = GodoProcess.Start("agent", "--no-docker");
            Assert.Equal(2, second.WaitForExit(TimeSpan.FromSeconds(60)));
            var errors = second.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(errors.Length == 1, $"one line on stderr expected:\n{second.Errors}");
            Assert.StartsWith($"godo: another godo agent (pid {first.Pid}", errors[0]);
            Assert.DoesNotContain("   at ", second.Output);
            Assert.Equal((uint)first.Pid, AuditctlStatus.Read().Pid);
            Assert.Equal(0, first.Terminate());
        }
        finally
        {
            output.WriteLine(first.Output);
        }
        guard.AssertRestored();
        Assert.False(File.Exists(StateFile));
    }
}

/// <summary>`./godo …` as a child process (the launcher builds Release when stale, then execs dotnet, keeping the pid).</summary>
internal sealed class GodoProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly bool _unreaped;
    private int? _agentPid;

    private GodoProcess(Process process, bool unreaped = false)
    {
        _process = process;
        _unreaped = unreaped;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            lock (_errors) _errors.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The agent's pid: the launcher execs dotnet, so it is the child's; under <see cref="StartUnreaped"/>, the shell's background job.</summary>
    public int Pid => _unreaped ? _agentPid ??= ReadAgentPid() : _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }
    public string Errors { get { lock (_errors) return _errors.ToString(); } }
    public bool HasExited => _process.HasExited;

    private static string Launcher => Path.Combine(TestBinaries.RepoRoot(), "godo");

    /// <summary>Builds the Release binaries now (when stale), so starting the agent later is quick.</summary>
    public static void Build()
    {
        var (exit, text) = TestBinaries.Run(Launcher, "--help");
        Assert.True(exit == 0, $"./godo --help failed ({exit}):\n{text}");
    }

    public static GodoProcess Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new GodoProcess(Process.Start(psi)!);
    }

    /// <summary>
    /// `./godo ARGS` as the child of a shell that then execs `sleep` and never reaps it: killed, the agent stays a
    /// zombie (its pid still in /proc) until this is disposed.
    /// </summary>
    public static GodoProcess StartUnreaped(params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("\"$0\" \"$@\" & echo \"agent-pid $!\"; exec sleep 100000");
        psi.ArgumentList.Add(Launcher);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new GodoProcess(Process.Start(psi)!, unreaped: true);
    }

    private int ReadAgentPid()
    {
        if (!WaitForOutput("agent-pid ", TimeSpan.FromSeconds(30))) Assert.Fail($"the shell did not start the agent:\n{Output}");
        var line = Output.Split('\n').First(l => l.StartsWith("agent-pid ", StringComparison.Ordinal));
        return int.Parse(line["agent-pid ".Length..].Trim());
    }

    /// <summary>Waits for the process to end by itself, and returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) Assert.Fail($"./godo did not end within {timeout.TotalSeconds:0} s:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until this process is the registered audit daemon with its rules loaded.</summary>
    public void WaitUntilDaemon()
    {
        var sw = Stopwatch.StartNew();
        while (!(AuditctlStatus.Read().Pid == (uint)Pid && AuditctlStatus.RulesWithKey(GodoAuditRules.Key).Length > 0 && Output.Contains("stale godo rules removed")))
        {
            if (_process.HasExited || (_unreaped && !Directory.Exists($"/proc/{Pid}"))) Assert.Fail($"./godo agent exited:\n{Output}");
            if (sw.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"./godo agent did not become the audit daemon in 60 s:\n{Output}");
            Thread.Sleep(100);
        }
    }

    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (sw.Elapsed > timeout) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    public void Kill9()
    {
        if (_unreaped)
        {
            // The agent only: the shell's sleep stays, so the agent is left unreaped.
            if (_agentPid is { } pid || Output.Contains("agent-pid ", StringComparison.Ordinal)) TestBinaries.Run("kill", "-KILL", Pid.ToString());
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(20) && OwnerState(Pid) is not ('Z' or null)) Thread.Sleep(50);
            return;
        }
        if (_process.HasExited) return;
        _process.Kill(); // SIGKILL
        _process.WaitForExit();
    }

    /// <summary>The state letter of /proc/PID/stat, null when there is no such process.</summary>
    public static char? OwnerState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException) { return null; }
    }

    /// <summary>SIGTERM, then the exit code (the agent must stop within 20 s).</summary>
    public int Terminate()
    {
        Assert.Equal(0, TestBinaries.Run("kill", "-TERM", Pid.ToString()).Exit);
        if (!_process.WaitForExit(20_000)) Assert.Fail($"./godo agent did not stop within 20 s of SIGTERM:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill9();
        if (_unreaped && !_process.HasExited)
        {
            _process.Kill(entireProcessTree: true); // the sleep: its zombie child goes to init, which reaps it
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}

/// <summary>
/// Deaths by a signal other than a SIGKILL sent through kill/tkill/tgkill (here SIGTERM) make no syscall, so an
/// audit-only agent (no process events connector) sees them only through the parent's reap (wait4); a child that is
/// never reaped is left for the periodic /proc reconciliation, whose one correction names the process and the rule.
/// </summary>
[Collection(KernelAuditCollection.Name)]
public class AgentReconcileTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_sigterm_death_reaped_by_its_parent_leaves_the_tree_through_the_reap_with_no_correction()
    {
        using var guard = new KernelAuditGuard();
        using var containers = new LiveContainers();
        var agent = await LiveAgent.StartAsync(LiveAgent.TestSettings() with { ReconcileInterval = TimeSpan.FromSeconds(1), ExitSource = ExitSourceMode.Audit });
        try
        {
            var steps = new LiveSteps(agent, containers, new ProcSnapshotReader(), output);
            var id = containers.Run("sigterm", "sh", "-c", "sleep 1071 & sleep 1072 & wait");
            await steps.Step("started", s => LiveSteps.Has(s, id, "sleep 1071", "sleep 1072"));
            var before = agent.CorrectionLines.Count;
            DockerCli.Run("exec", id, "sh", "-c", "kill -TERM $(ps -o pid,args | awk '$2 == \"sleep\" && $3 == \"1071\" {print $1}')");
            await steps.Step("gone after the SIGTERM death", s => !LiveSteps.Has(s, id, "sleep 1071"));
            Assert.True((await agent.GetTreeAsync()).Stats.GetValueOrDefault("reaps") >= 1);
            await Task.Delay(TimeSpan.FromSeconds(2)); // two more reconciliations: nothing left for them
            Assert.Empty(steps.CorrectionsOfScope(before));
        }
        finally
        {
            containers.Dispose();
            await agent.StopAsync();
        }
        guard.AssertRestored();
    }

    [Fact]
    public async Task A_sigterm_death_never_reaped_is_healed_by_the_reconciliation_with_one_correction_naming_it()
    {
        using var guard = new KernelAuditGuard();
        using var containers = new LiveContainers();
        var agent = await LiveAgent.StartAsync(LiveAgent.TestSettings() with { ReconcileInterval = TimeSpan.FromSeconds(1), ExitSource = ExitSourceMode.Audit });
        try
        {
            var steps = new LiveSteps(agent, containers, new ProcSnapshotReader(), output);
            // The shell execs into a sleep that never waits: its SIGTERMed child stays a zombie, and no syscall tells audit.
            var id = containers.Run("zombie", "sh", "-c", "sleep 1073 & exec sleep 1074");
            await steps.Step("started", s => LiveSteps.Has(s, id, "sleep 1073", "sleep 1074"));
            var before = agent.CorrectionLines.Count;
            DockerCli.Run("exec", id, "sh", "-c", "kill -TERM $(ps -o pid,args | awk '$2 == \"sleep\" && $3 == \"1073\" {print $1}')");
            await steps.Step("healed after the unreaped death", s => !LiveSteps.Has(s, id, "sleep 1073"));
            var line = Assert.Single(steps.CorrectionsOfScope(before));
            // The correction names the process (comm, argv, container) and the rule that missed it.
            Assert.True(line.Contains($"[sleep 1073] in container {id[..12]})") && line.Contains("its exit was not seen"), line);
        }
        finally
        {
            containers.Dispose();
            await agent.StopAsync();
        }
        guard.AssertRestored();
    }
}
