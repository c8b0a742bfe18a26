using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Godo.EndToEnd.Tests.Ship;

/// <summary>
/// The agent image on this host's Docker engine with the documented flags and nothing more (every capability dropped
/// but the four it needs): its tree equals /proc, and stopping it leaves the kernel's audit state as it was.
/// </summary>
[Collection(ShipCollection.Name)]
public class AgentImageTests(ShipFixture ship, ITestOutputHelper output)
{
    /// <summary>The documented flags (README, "Install"), as an operator runs them.</summary>
    public static readonly string[] AgentFlags =
    [
        "--pid=host", "--network=host", "--uts=host",
        "--cap-drop=ALL", "--cap-add=AUDIT_CONTROL", "--cap-add=AUDIT_READ", "--cap-add=NET_ADMIN", "--cap-add=SYS_PTRACE",
        "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", "/run/godo:/run/godo",
    ];

    /// <summary>Processes younger than this at a /proc read are not compared: the agent may not have applied them yet.</summary>
    private const double SettleSeconds = 3;

    [Fact]
    public async Task The_agent_container_sees_the_host_tree_as_proc_does_and_restores_the_kernel_on_stop()
    {
        using var kernel = await KernelAuditLock.TakeAsync(KernelAuditLock.DefaultPath, TimeSpan.FromMinutes(30));
        var rulesBefore = (await Sh.OutAsync("auditctl", "-l")).Trim();
        var pidBefore = AuditPid(await Sh.OutAsync("auditctl", "-s"));
        var name = "godo-ship-agent-" + Guid.NewGuid().ToString("N")[..6];
        var workload = "godo-ship-work-" + Guid.NewGuid().ToString("N")[..6];
        var container = (await Sh.OutAsync("docker", "run", "-d", "--name", workload, "godo/busybox:1",
            "sh", "-c", "sh -c 'sleep 2071 & wait' & exec sleep 2072")).Trim();
        try
        {
            var args = new List<string> { "run", "-d", "--name", name };
            args.AddRange(AgentFlags);
            args.AddRange([ship.AgentImage, "--print-every", "2s", "--json"]);
            await Sh.OutAsync("docker", [.. args]);

            string? lastDiff = null;
            await Eventually(async () =>
            {
                var before = HostProc.ReadAll();
                var uptime = Uptime();
                var docs = (await Docs(name)).Count;
                // A tree printed after this /proc read, then /proc again: what lived through both must be in it.
                JsonNode? doc = null;
                for (var i = 0; i < 40 && doc is null; i++)
                {
                    await Task.Delay(250);
                    var all = await Docs(name);
                    if (all.Count > docs) doc = JsonNode.Parse(all[^1]);
                }
                if (doc is null) { lastDiff = "no tree printed within 10 s"; return false; }
                var after = HostProc.ReadAll();
                lastDiff = Compare(doc, before, after, uptime, container);
                return lastDiff is null;
            }, TimeSpan.FromSeconds(120), () => $"the agent container's tree never equalled /proc; last difference:\n{lastDiff}\nagent log:\n{Log(name).Result}");
        }
        finally
        {
            var (stopCode, stopText) = await Sh.RunAsync(TimeSpan.FromSeconds(60), "docker", "stop", "-t", "30", name);
            output.WriteLine(await Log(name));
            await Sh.RunAsync(TimeSpan.FromSeconds(60), "docker", "rm", "-f", name, workload);
            Assert.True(stopCode == 0, stopText);
        }
        Assert.Equal(rulesBefore, (await Sh.OutAsync("auditctl", "-l")).Trim());
        Assert.Equal(pidBefore, AuditPid(await Sh.OutAsync("auditctl", "-s")));
        Assert.False(File.Exists("/run/godo/audit-session.json"), "the agent's state file should be gone after a clean stop");
    }

    /// <summary>Null when the tree matches; else what differs.</summary>
    private static string? Compare(JsonNode doc, Dictionary<int, HostProc> before, Dictionary<int, HostProc> after, double uptimeBefore, string container)
    {
        var tree = doc["processes"]!.AsArray().Where(p => p!["exitedAt"] is null)
            .ToDictionary(p => (int)p!["pid"]!, p => p!);
        var ticks = 100.0; // USER_HZ
        var diffs = new StringBuilder();
        var compared = 0;
        foreach (var (pid, p) in before)
        {
            if (!after.TryGetValue(pid, out var q) || q.StartTicks != p.StartTicks) continue; // died or replaced meanwhile
            if (uptimeBefore - p.StartTicks / ticks < SettleSeconds) continue;
            compared++;
            if (!tree.TryGetValue(pid, out var t)) { diffs.AppendLine($"missing in the agent: {p}"); continue; }
            if (p.Ppid == q.Ppid && (int)t["ppid"]! != p.Ppid) diffs.AppendLine($"pid {pid}: ppid agent {(int)t["ppid"]!}, /proc {p.Ppid} ({p.Argv})");
            var inWorkload = p.Container == container;
            if (inWorkload != ((string?)t["container"] == container)) diffs.AppendLine($"pid {pid}: container agent {(string?)t["container"]}, /proc {p.Container}");
            var argv = string.Join(' ', t["argv"]!.AsArray().Select(a => (string)a!));
            if (inWorkload && p.Argv == q.Argv && argv != p.Argv) diffs.AppendLine($"pid {pid}: argv agent [{argv}], /proc [{p.Argv}]");
        }
        // Phantoms: alive in the tree, started well before the first read, yet gone from /proc at it.
        var bootSeconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - Uptime();
        foreach (var (pid, t) in tree)
        {
            var started = ((DateTimeOffset)t["startedAt"]!).ToUnixTimeMilliseconds() / 1000.0 - bootSeconds;
            if (started < uptimeBefore - SettleSeconds && !before.ContainsKey(pid))
                diffs.AppendLine($"extra in the agent (not in /proc): pid {pid} [{string.Join(' ', t["argv"]!.AsArray().Select(a => (string)a!))}]");
        }
        var workload = before.Values.Count(p => p.Container == container);
        if (workload != 3) diffs.AppendLine($"the workload container should have 3 processes in /proc, has {workload}");
        if (tree.Values.Count(t => (string?)t["container"] == container) != 3) diffs.AppendLine("the agent does not show the workload's 3 processes");
        if (compared < 10) diffs.AppendLine($"only {compared} processes compared");
        return diffs.Length == 0 ? null : diffs.ToString();
    }

    /// <summary>The trees the agent printed so far (one JSON document a line), unparsed.</summary>
    private static async Task<List<string>> Docs(string name) =>
        (await Sh.RunAsync(TimeSpan.FromSeconds(60), "docker", "logs", name)).Output.Split('\n')
            .Where(l => l.StartsWith("{\"host\"", StringComparison.Ordinal)).ToList();

    /// <summary>The agent's log without the trees.</summary>
    private static async Task<string> Log(string name) =>
        string.Join('\n', (await Sh.RunAsync(TimeSpan.FromSeconds(60), "docker", "logs", name)).Output.Split('\n')
            .Where(l => !l.StartsWith("{\"host\"", StringComparison.Ordinal)));

    private static double Uptime() => double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static string AuditPid(string status) =>
        status.Split('\n').FirstOrDefault(l => l.StartsWith("pid ", StringComparison.Ordinal))?.Trim() ?? "";

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(failure());
            await Task.Delay(500);
        }
    }
}
