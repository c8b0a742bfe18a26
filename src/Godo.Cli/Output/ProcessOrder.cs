namespace Godo.Cli.Output;

/// <summary>The orders `godo ps --sort` offers, for live rows and for the lives of a window alike.</summary>
public static class ProcessOrder
{
    public static readonly string[] Keys = ["pid", "start", "cmd", "user"];

    /// <summary>What a row is ordered by; <see cref="Command"/> as the terminal shows it.</summary>
    public readonly record struct SortKeys(string Host, int Pid, DateTimeOffset? StartedAt, string Command, string? User, int? Uid);

    /// <summary>Rows by <paramref name="key"/>, ties by host then pid then start (a pid is reused within a window).</summary>
    public static IEnumerable<T> Sort<T>(IEnumerable<T> rows, string key, Func<T, SortKeys> keysOf)
    {
        var keyed = rows.Select(r => (Row: r, K: keysOf(r)));
        var ordered = key switch
        {
            "start" => keyed.OrderBy(x => x.K.StartedAt ?? DateTimeOffset.MaxValue).ThenBy(x => x.K.Host, StringComparer.Ordinal).ThenBy(x => x.K.Pid),
            "cmd" => keyed.OrderBy(x => x.K.Command, StringComparer.Ordinal).ThenBy(x => x.K.Host, StringComparer.Ordinal).ThenBy(x => x.K.Pid),
            "user" => keyed.OrderBy(x => x.K.User is null).ThenBy(x => x.K.User, StringComparer.Ordinal).ThenBy(x => x.K.Uid ?? int.MaxValue)
                .ThenBy(x => x.K.Host, StringComparer.Ordinal).ThenBy(x => x.K.Pid),
            _ => keyed.OrderBy(x => x.K.Pid).ThenBy(x => x.K.Host, StringComparer.Ordinal),
        };
        return ordered.ThenBy(x => x.K.StartedAt ?? DateTimeOffset.MaxValue).Select(x => x.Row);
    }
}
