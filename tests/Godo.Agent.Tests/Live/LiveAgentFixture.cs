using System.Diagnostics;
using Godo.Agent.Proc;
using Godo.Agent.Tests.Infrastructure;
using Godo.Agent.Tests.Netlink;
using Godo.Messages.Model;
using Xunit.Abstractions;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// One live agent (unicast, no periodic reconciliation) for the equality tests, started after a container that was
/// already running (the bootstrap case). Restores the kernel audit state on dispose, and checks it was restored.
/// </summary>
public sealed class LiveAgentFixture : IAsyncLifetime
{
    internal KernelAuditGuard Guard { get; private set; } = null!;
    internal LiveAgent Agent { get; private set; } = null!;
    internal LiveContainers Containers { get; } = new();
    internal string BootContainer { get; private set; } = null!;
    internal ProcSnapshotReader Reader { get; } = new();

    public async Task InitializeAsync()
    {
        Guard = new KernelAuditGuard();
        TestBinaries.EnsureTestbinImage();
        BootContainer = Containers.Run("boot", "sh", "-c", "sh -c 'sleep 2001 & sleep 2002 & wait' & exec sleep 2003");
        var sw = Stopwatch.StartNew();
        while (!LiveSteps.Has(Reader.ReadAll(), BootContainer, "sleep 2001", "sleep 2002", "sleep 2003"))
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("the bootstrap container did not start its processes");
            Thread.Sleep(50);
        }
        Agent = await LiveAgent.StartAsync(LiveAgent.TestSettings());
    }

    public async Task DisposeAsync()
    {
        Containers.Dispose();
        try
        {
            var corrections = Agent?.CorrectionLines ?? [];
            if (Agent is not null) await Agent.StopAsync();
            Guard.AssertRestored();
            // With no kernel loss a correction is a bug: none over every step of the class, whatever process it names.
            Assert.True(corrections.Count == 0, $"{corrections.Count} /proc corrections while the live tests ran:\n{string.Join('\n', corrections.TakeLast(30))}");
        }
        finally
        {
            Guard.Dispose();
        }
    }
}

/// <summary>The step helper of the live tests: after each step, the agent must equal /proc (and docker ps).</summary>
internal sealed class LiveSteps(LiveAgent agent, LiveContainers containers, ProcSnapshotReader reader, ITestOutputHelper output)
{
    /// <summary>The issue's "about 2 s after each step"; convergence is then polled for up to <see cref="Deadline"/>.</summary>
    public static readonly TimeSpan After = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>/proc shows, in container <paramref name="id"/>, a live process with each of these command lines.</summary>
    public static bool Has(ProcSnapshot s, string id, params string[] argvs) =>
        argvs.All(a => s.Processes.Any(p => p.ContainerId == id && !p.IsZombie && string.Join(' ', p.Argv) == a));

    public static bool Empty(ProcSnapshot s, string id) => !s.Processes.Any(p => p.ContainerId == id && !p.IsZombie);

    /// <summary>
    /// Waits until /proc shows the step done (<paramref name="ready"/>), then compares the agent with /proc and
    /// docker ps 2 s after the step, polling until 5 s after it; fails with a readable diff.
    /// </summary>
    public async Task<HostTree> Step(string name, Func<ProcSnapshot, bool>? ready = null)
    {
        var sw = Stopwatch.StartNew();
        if (ready is not null)
            while (!ready(reader.ReadAll()))
            {
                if (sw.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"step '{name}': /proc never showed the step done");
                await Task.Delay(50);
            }
        var readyAt = sw.Elapsed;
        if (sw.Elapsed < After) await Task.Delay(After - sw.Elapsed);
        var deadline = readyAt + Deadline;
        string? diff;
        HostTree tree;
        while (true)
        {
            tree = await agent.GetTreeAsync();
            var proc = reader.ReadAll();
            diff = Compare(tree, proc) ?? CompareContainers(tree);
            if (diff is null || sw.Elapsed > deadline) break;
            await Task.Delay(100);
        }
        if (diff is not null)
        {
            var log = string.Join('\n', agent.Log.TakeLast(40));
            agent.KeepRecords = true;
            Assert.Fail($"step '{name}': after {sw.Elapsed.TotalSeconds:F1} s the agent still differs from /proc:\n{diff}\n" +
                        $"the records received are kept in TestResults/live/{Path.GetFileName(agent.Settings.RecordPath)}\nagent log (last 40):\n{log}");
        }
        output.WriteLine($"step '{name}': equal ({sw.Elapsed.TotalSeconds:F1} s after the step, /proc ready at {readyAt.TotalSeconds:F1} s)");
        return tree;
    }

    private string? Compare(HostTree tree, ProcSnapshot proc)
    {
        var agentSide = LiveTreeComparer.FromAgent(tree, containers.Contains);
        var procSide = LiveTreeComparer.FromProc(proc, containers.Contains);
        lock (_seen) _seen.UnionWith(agentSide.Keys.Concat(procSide.Keys));
        return LiveTreeComparer.Diff(agentSide, procSide);
    }

    private readonly HashSet<int> _seen = new();

    /// <summary>
    /// The agent's /proc corrections since <paramref name="from"/> (an index into its correction lines) that concern
    /// the test's containers: a process seen in them at some step, or a line naming one of them. Corrections of
    /// other processes on this shared host (a browser rewriting its argv, a SIGTERM death no rule can see) are not
    /// the test's business.
    /// </summary>
    public List<string> CorrectionsOfScope(int from)
    {
        var ids = containers.All.Select(c => c.Id[..12]).ToList();
        var pid = new System.Text.RegularExpressions.Regex(@"\): (?:exited|added|replaced|ppid of|container of|argv of) (\d+)");
        lock (_seen)
            return agent.CorrectionLines.Skip(from).Where(l =>
                pid.Match(l) is { Success: true } m
                && (_seen.Contains(int.Parse(m.Groups[1].Value)) || ids.Any(l[m.Index..].Contains))).ToList();
    }

    /// <summary>The test's own work (since correction line <paramref name="from"/>) needed no /proc correction, and nothing was lost.</summary>
    public async Task AssertExact(int from)
    {
        var tree = await agent.GetTreeAsync();
        var mine = CorrectionsOfScope(from);
        var all = agent.CorrectionLines.Count - from;
        output.WriteLine($"corrections during this test: {mine.Count} of this test's processes, {all} in all (host total {tree.Stats.GetValueOrDefault("corrections")})");
        Assert.True(mine.Count == 0,
            $"{mine.Count} /proc corrections of this test's processes (the audit path should be exact):\n{string.Join('\n', mine.TakeLast(30))}");
        Assert.Equal(0, tree.Stats.GetValueOrDefault("kernelLost"));
        Assert.Equal(0, tree.Stats.GetValueOrDefault("overflows"));
        Assert.Equal(0, tree.Stats.GetValueOrDefault("procEventsLost"));
    }

    /// <summary>The agent's running containers (of this test) against docker ps: same ids, names and images.</summary>
    private string? CompareContainers(HostTree tree)
    {
        var ps = DockerCli.Run("ps", "--no-trunc", "--format", "{{.ID}}\t{{.Names}}\t{{.Image}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(f => containers.Contains(f[0]))
            .Select(f => $"{f[0][..12]} {f[1]} {f[2]}")
            .Order().ToList();
        var agentSide = tree.Containers.Where(c => containers.Contains(c.Id))
            .Select(c => $"{c.Id[..12]} {c.Name} {c.Image}")
            .Order().ToList();
        if (ps.SequenceEqual(agentSide)) return null;
        return $"containers differ from docker ps:\n  docker ps: {string.Join(", ", ps)}\n  agent:     {string.Join(", ", agentSide)}\n";
    }
}
