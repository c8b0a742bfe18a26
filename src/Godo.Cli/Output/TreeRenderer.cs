using System.Text;
using Godo.Messages.Model;

namespace Godo.Cli.Output;

/// <summary>pstree-like text of a host tree: one block per container, then the host's own processes.</summary>
public static class TreeRenderer
{
    public static string Render(HostTree tree, string? onlyContainer = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"host {tree.Host}   as of {tree.AsOf.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff}Z   {tree.Processes.Length} processes, {tree.Containers.Length} containers");
        var byPid = tree.Processes.ToDictionary(p => p.Pid);
        foreach (var c in tree.Containers)
        {
            if (onlyContainer is not null && c.Id != onlyContainer) continue;
            sb.AppendLine();
            sb.Append($"container {c.Name ?? "(unnamed)"} {Short(c.Id)}");
            if (c.Image is not null) sb.Append($"  image {c.Image}");
            sb.AppendLine($"  init {c.InitPid?.ToString() ?? "-"}  shim {c.ShimPid?.ToString() ?? "-"}  {c.ProcessCount} processes");
            var members = tree.Processes.Where(p => p.Container == c.Id).ToList();
            RenderForest(sb, members, byPid);
        }
        if (onlyContainer is null)
        {
            var hostProcs = tree.Processes.Where(p => p.Container is null).ToList();
            if (hostProcs.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("host processes");
                RenderForest(sb, hostProcs, byPid);
            }
        }
        return sb.ToString();
    }

    private static void RenderForest(StringBuilder sb, List<ProcessInfo> members, Dictionary<int, ProcessInfo> all)
    {
        var set = members.Select(p => p.Pid).ToHashSet();
        var children = members.GroupBy(p => p.Ppid).ToDictionary(g => g.Key, g => g.OrderBy(p => p.Pid).ToList());
        foreach (var root in members.Where(p => !set.Contains(p.Ppid)).OrderBy(p => p.Pid))
            Render(sb, root, children, "", true, true);
    }

    private static void Render(StringBuilder sb, ProcessInfo p, Dictionary<int, List<ProcessInfo>> children, string indent, bool last, bool root)
    {
        sb.Append(indent);
        if (!root) sb.Append(last ? "└─ " : "├─ ");
        sb.Append(p.Pid);
        if (p.NsPid is { } ns && ns != p.Pid) sb.Append($" [{ns}]");
        sb.Append(' ').Append(Argv(p));
        if (p.StartedAt is { } s) sb.Append($"   (started {s.UtcDateTime:HH:mm:ss.fff}, ppid {p.Ppid})");
        sb.AppendLine();
        if (!children.TryGetValue(p.Pid, out var kids)) return;
        var childIndent = root ? indent : indent + (last ? "   " : "│  ");
        for (var i = 0; i < kids.Count; i++) Render(sb, kids[i], children, childIndent, i == kids.Count - 1, false);
    }

    public static string Argv(ProcessInfo p)
    {
        var text = p.Argv.IsDefaultOrEmpty ? $"[{p.Comm}]" : string.Join(' ', p.Argv.Select(Quote));
        return text.Length > 160 ? text[..157] + "..." : text;
    }

    private static string Quote(string a) => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c == '"') ? "\"" + a.Replace("\"", "\\\"") + "\"" : a;

    public static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
