using System.Text;
using Godo.Agent.Proc;
using Godo.Messages.Model;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// The agent's container processes against /proc: same pids, and for each the same ppid, container and argv.
/// /proc zombies are left out (the agent drops a process at its exit_group). Only containers in scope are compared,
/// so containers other people start on the same engine cannot make a test flaky.
/// </summary>
internal static class LiveTreeComparer
{
    public sealed record Row(int Pid, int Ppid, string Container, string Argv)
    {
        public override string ToString() => $"pid {Pid} ppid {Ppid} container {Container[..12]} argv [{Argv}]";
    }

    public static Dictionary<int, Row> FromAgent(HostTree tree, Func<string, bool> inScope) =>
        tree.Processes.Where(p => p.Container is { } c && inScope(c))
            .ToDictionary(p => p.Pid, p => new Row(p.Pid, p.Ppid, p.Container!, Join(p.Argv)));

    public static Dictionary<int, Row> FromProc(ProcSnapshot snapshot, Func<string, bool> inScope) =>
        snapshot.Processes.Where(p => !p.IsZombie && p.ContainerId is { } c && inScope(c))
            .ToDictionary(p => p.Pid, p => new Row(p.Pid, p.Ppid, p.ContainerId!, Join(p.Argv)));

    private static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(a => a.Contains(' ') ? $"'{a}'" : a));

    /// <summary>Null when equal; otherwise one line per difference, then both sides in full.</summary>
    public static string? Diff(IReadOnlyDictionary<int, Row> agent, IReadOnlyDictionary<int, Row> proc)
    {
        var lines = new List<string>();
        foreach (var (pid, p) in proc.OrderBy(kv => kv.Key))
        {
            if (!agent.TryGetValue(pid, out var a)) lines.Add($"  missing in agent: {p}");
            else if (a != p)
            {
                var what = new List<string>();
                if (a.Ppid != p.Ppid) what.Add($"ppid agent {a.Ppid} /proc {p.Ppid}");
                if (a.Container != p.Container) what.Add($"container agent {a.Container[..12]} /proc {p.Container[..12]}");
                if (a.Argv != p.Argv) what.Add($"argv agent [{a.Argv}] /proc [{p.Argv}]");
                lines.Add($"  pid {pid} differs: {string.Join("; ", what)}");
            }
        }
        foreach (var (pid, a) in agent.OrderBy(kv => kv.Key))
            if (!proc.ContainsKey(pid)) lines.Add($"  extra in agent (not in /proc): {a}");
        if (lines.Count == 0) return null;
        var sb = new StringBuilder();
        foreach (var l in lines) sb.AppendLine(l);
        sb.AppendLine("agent:");
        foreach (var r in agent.Values.OrderBy(r => r.Pid)) sb.AppendLine("  " + r);
        sb.AppendLine("/proc:");
        foreach (var r in proc.Values.OrderBy(r => r.Pid)) sb.AppendLine("  " + r);
        return sb.ToString();
    }
}
