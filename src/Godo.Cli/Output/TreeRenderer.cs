using System.Collections.Immutable;
using System.Text;
using Godo.Messages.Model;

namespace Godo.Cli.Output;

/// <summary>
/// pstree-like text of a host tree: one block per container, then the host's own processes. Every name and argv
/// is escaped (<see cref="TerminalText"/>), so one process is always one line.
/// </summary>
public static class TreeRenderer
{
    /// <param name="width">columns a line may take (long argv is cut to fit); null never cuts (--wide)</param>
    /// <param name="hostStatus">shown after the host name when the host is not up ("down since ..."): its tree may be old</param>
    public static string Render(HostTree tree, string? onlyContainer = null, int? width = null, string? hostStatus = null)
    {
        var sb = new StringBuilder();
        sb.Append($"host {TerminalText.Escape(tree.Host)}");
        if (hostStatus is not null) sb.Append($" ({TerminalText.Escape(hostStatus)})");
        sb.Append($"   as of {tree.AsOf.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff}Z   {tree.Processes.Length} processes, {tree.Containers.Length} containers\n");
        var byPid = tree.Processes.ToDictionary(p => p.Pid);
        foreach (var c in tree.Containers)
        {
            if (onlyContainer is not null && c.Id != onlyContainer) continue;
            sb.Append('\n');
            sb.Append($"container {TerminalText.Escape(c.Name ?? "(unnamed)")} {Short(c.Id)}");
            if (c.Image is not null) sb.Append($"  image {TerminalText.Escape(c.Image)}");
            sb.Append($"  init {c.InitPid?.ToString() ?? "-"}  shim {c.ShimPid?.ToString() ?? "-"}  {c.ProcessCount} processes\n");
            var members = tree.Processes.Where(p => p.Container == c.Id).ToList();
            RenderForest(sb, members, byPid, width);
        }
        if (onlyContainer is null)
        {
            var hostProcs = tree.Processes.Where(p => p.Container is null).ToList();
            if (hostProcs.Count > 0)
            {
                sb.Append("\nhost processes\n");
                RenderForest(sb, hostProcs, byPid, width);
            }
        }
        return sb.ToString();
    }

    private static void RenderForest(StringBuilder sb, List<ProcessInfo> members, Dictionary<int, ProcessInfo> all, int? width)
    {
        var set = members.Select(p => p.Pid).ToHashSet();
        var children = members.GroupBy(p => p.Ppid).ToDictionary(g => g.Key, g => g.OrderBy(p => p.Pid).ToList());
        foreach (var root in members.Where(p => !set.Contains(p.Ppid)).OrderBy(p => p.Pid))
            Render(sb, root, children, "", true, true, width);
    }

    private static void Render(StringBuilder sb, ProcessInfo p, Dictionary<int, List<ProcessInfo>> children, string indent, bool last, bool root, int? width)
    {
        var tail = p.StartedAt is { } s ? $"   (started {s.UtcDateTime:HH:mm:ss.fff}, ppid {p.Ppid})" : "";
        AppendLine(sb, indent + (root ? "" : last ? "└─ " : "├─ "), p, tail, width);
        if (!children.TryGetValue(p.Pid, out var kids)) return;
        var childIndent = root ? indent : indent + (last ? "   " : "│  ");
        for (var i = 0; i < kids.Count; i++) Render(sb, kids[i], children, childIndent, i == kids.Count - 1, false, width);
    }

    /// <summary>
    /// One process on one line: <paramref name="prefix"/> (indent and branch), pid, [pid in its container], the
    /// command line cut so that the line fits <paramref name="width"/>, then <paramref name="tail"/>.
    /// </summary>
    public static void AppendLine(StringBuilder sb, string prefix, ProcessInfo p, string tail, int? width)
    {
        var head = new StringBuilder(prefix);
        head.Append(p.Pid);
        if (p.NsPid is { } ns && ns != p.Pid) head.Append($" [{ns}]");
        head.Append(' ');
        var argv = Argv(p);
        if (width is { } w) argv = TerminalText.Cut(argv, Math.Max(MinArgv, w - head.Length - tail.Length));
        sb.Append(head).Append(argv).Append(tail).Append('\n');
    }

    /// <summary>However deep the tree or narrow the terminal, a command line keeps this much.</summary>
    private const int MinArgv = 24;

    /// <summary>The command line as sh would read it back, or [comm] for a process whose argv is unknown.</summary>
    public static string Argv(ProcessInfo p) => Argv(p.Argv, p.Comm);

    public static string Argv(ImmutableArray<string> argv, string? comm) =>
        argv.IsDefaultOrEmpty ? $"[{TerminalText.Escape(comm)}]" : TerminalText.Command(argv);

    public static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
