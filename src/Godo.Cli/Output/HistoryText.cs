using System.Globalization;
using System.Text;
using Godo.Messages.Api;
using Godo.Messages.Model;

namespace Godo.Cli.Output;

/// <summary>
/// The text of the queries over time: the processes of a window (`ps --from --to`), a lineage, a container's life.
/// Like every output, names and argv are escaped (<see cref="TerminalText"/>): one process is one line.
/// </summary>
public static class HistoryText
{
    /// <summary>`godo ps --from --to`: a line naming the window, then one row per process life.</summary>
    /// <param name="from">null: from the start of the history</param>
    public static string Lives(IReadOnlyList<ProcessLife> lives, DateTimeOffset? from, DateTimeOffset to, string sort, int? width)
    {
        var header = (from is { } f ? $"processes that lived between {EventTime.Show(f)} and {EventTime.Show(to)}" : $"processes that lived up to {EventTime.Show(to)}") +
                     $": {lives.Count}\n";
        if (lives.Count == 0) return header;
        // Times of one day show the clock alone; a window across days (or a process started days before) shows dates.
        var times = lives.SelectMany(l => new[] { l.Process.StartedAt, l.Process.ExitedAt }).OfType<DateTimeOffset>().ToList();
        var oneDay = times.Select(t => t.UtcDateTime.Date).Distinct().Count() <= 1;
        string? Clock(DateTimeOffset? t) => t?.UtcDateTime.ToString(oneDay ? "HH:mm:ss.fff" : "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var table = new Table("HOST", "PID", "PPID", "NSPID", "CONTAINER", "USER", "STARTED", "EXITED", "EXIT", "COMMAND").FitTo(width);
        foreach (var l in ProcessOrder.Sort(lives, sort, l => new(l.Host, l.Process.Pid, l.Process.StartedAt, TreeRenderer.Argv(l.Process), l.Process.User, l.Process.Uid)))
        {
            var p = l.Process;
            table.Add(l.Host, p.Pid, p.Ppid, p.NsPid, l.ContainerName?.TrimStart('/') ?? (p.Container is null ? null : TreeRenderer.Short(p.Container)),
                p.User ?? p.Uid?.ToString(CultureInfo.InvariantCulture), Clock(p.StartedAt), Clock(p.ExitedAt), Exit(l), new Shown(TreeRenderer.Argv(p)));
        }
        return header + table;
    }

    /// <summary>How a process ended: "code 1", "SIGKILL" (or "signal 64"), "?" when its exit was seen without either; null while it lives.</summary>
    public static string? Exit(ProcessLife l) =>
        l.Signal is { } sig ? SignalName(sig)
        : l.ExitCode is { } code ? $"code {code}"
        : l.Process.ExitedAt is null ? null : "?";

    private static readonly string[] Signals =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>Linux's name of a signal (SIGKILL), or "signal N" past the classic ones.</summary>
    public static string SignalName(int signal) => signal > 0 && signal < Signals.Length ? "SIG" + Signals[signal] : $"signal {signal}";

    /// <summary>`godo lineage`: pid 1 first, then each child down to the process, indented, as they were at that moment.</summary>
    public static string Lineage(ProcessLineage lineage, int? width)
    {
        var sb = new StringBuilder();
        sb.Append($"host {TerminalText.Escape(lineage.Host)}   as of {EventTime.Show(lineage.At)}   pid {lineage.Process.Pid}");
        sb.Append(lineage.Ancestors.Length == 1 ? " and 1 ancestor\n" : $" and {lineage.Ancestors.Length} ancestors\n");
        var chain = lineage.Ancestors.Reverse().Append(lineage.Process).ToList();
        for (var i = 0; i < chain.Count; i++)
        {
            var p = chain[i];
            var prefix = i == 0 ? "" : new string(' ', 3 * (i - 1)) + "└─ ";
            TreeRenderer.AppendLine(sb, prefix, p, Tail(p, i > 0 ? chain[i - 1].Container : null), width);
        }
        return sb.ToString();
    }

    /// <summary>When it started (and ended), its user, and its container where it enters one.</summary>
    private static string Tail(ProcessInfo p, string? parentContainer)
    {
        var parts = new List<string>();
        if (p.StartedAt is { } s) parts.Add($"started {EventTime.Show(s)}");
        if (p.ExitedAt is { } e) parts.Add($"exited {EventTime.Show(e)}");
        if ((p.User ?? p.Uid?.ToString(CultureInfo.InvariantCulture)) is { } user) parts.Add($"user {TerminalText.Escape(user)}");
        if (p.Container is { } c && c != parentContainer) parts.Add($"container {TerminalText.Escape(TreeRenderer.Short(c))}");
        return parts.Count == 0 ? "" : $"   ({string.Join(", ", parts)})";
    }

    /// <summary>`godo containers KEY --life`: one block per life (host and container), its moments one per line.</summary>
    public static string ContainerLives(IReadOnlyList<ContainerLife> lives)
    {
        var sb = new StringBuilder();
        foreach (var l in lives.OrderBy(l => l.CreatedAt ?? l.StartedAt ?? DateTimeOffset.MinValue).ThenBy(l => l.Host, StringComparer.Ordinal))
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append($"container {TerminalText.Escape(l.Name?.TrimStart('/') ?? "(unnamed)")} {TerminalText.Escape(TreeRenderer.Short(l.Id))}");
            sb.Append($"  on host {TerminalText.Escape(l.Host)}");
            if (l.Image is not null) sb.Append($"  image {TerminalText.Escape(l.Image)}");
            sb.Append('\n');
            void Moment(string name, DateTimeOffset? t) => sb.Append($"  {name,-10} {(t is { } at ? EventTime.Show(at) : "-")}\n");
            Moment("created", l.CreatedAt);
            Moment("started", l.StartedAt);
            Moment("stopped", l.StoppedAt);
            Moment("destroyed", l.DestroyedAt);
        }
        return sb.Length == 0 ? "no life of that container in the history\n" : sb.ToString();
    }
}
