using System.Text;

namespace Godo.Cli.Output;

/// <summary>
/// A plain text table: a header row and left-aligned columns (numbers right-aligned), two spaces apart. Every cell
/// is escaped for the terminal (<see cref="TerminalText"/>) unless it comes as <see cref="Shown"/>.
/// </summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = new();
    private int? _width;

    public Table Add(params object?[] cells)
    {
        _rows.Add(cells.Select(c => c switch
        {
            null => "-",
            DateTimeOffset t => Age(t),
            Shown s => s.Text,
            _ => c.ToString() is { } text ? TerminalText.Escape(text) : "-",
        }).ToArray());
        return this;
    }

    /// <summary>Cuts the last column so that lines fit <paramref name="width"/> columns (null: never cut).</summary>
    public Table FitTo(int? width)
    {
        _width = width;
        return this;
    }

    public int Count => _rows.Count;

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var numeric = headers.Select((_, i) => _rows.Count > 0 && _rows.All(r => i < r.Length && (r[i] == "-" || double.TryParse(r[i], System.Globalization.CultureInfo.InvariantCulture, out double _)))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells)
        {
            var lineStart = sb.Length;
            for (var i = 0; i < headers.Length; i++)
            {
                var cell = i < cells.Length ? cells[i] : "";
                var last = i == headers.Length - 1;
                if (last && _width is { } w) cell = TerminalText.Cut(cell, Math.Max(MinLastColumn, w - sb.Length + lineStart));
                sb.Append(numeric[i] ? cell.PadLeft(widths[i]) : last ? cell : cell.PadRight(widths[i]));
                if (!last) sb.Append("  ");
            }
            sb.Append('\n');
        }
        Line(headers);
        foreach (var r in _rows) Line(r);
        return sb.ToString();
    }

    /// <summary>However narrow the terminal, the last column (a command line) keeps this much.</summary>
    private const int MinLastColumn = 24;

    /// <summary>"3s ago", "5m ago", or a UTC time for older ones.</summary>
    private static string Age(DateTimeOffset t)
    {
        if (t == default) return "-";
        var age = DateTimeOffset.UtcNow - t;
        return age.TotalSeconds < 0 ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") + "Z"
            : age.TotalSeconds < 90 ? $"{age.TotalSeconds:0}s ago"
            : age.TotalMinutes < 90 ? $"{age.TotalMinutes:0}m ago"
            : age.TotalHours < 48 ? $"{age.TotalHours:0}h ago"
            : t.UtcDateTime.ToString("yyyy-MM-dd HH:mm") + "Z";
    }
}
