using System.Globalization;

namespace Godo.Cli;

/// <summary>Durations as people write them: 500ms, 5s, 2m, 1h, 1d (a bare number is seconds).</summary>
public static class Duration
{
    public static TimeSpan Parse(string text, string what)
    {
        text = text.Trim();
        var (number, unit) = text.EndsWith("ms") ? (text[..^2], 0.001) : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0) : text.EndsWith('h') ? (text[..^1], 3600.0) : text.EndsWith('d') ? (text[..^1], 86400.0) : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || !double.IsFinite(n * unit) || n * unit > TimeSpan.MaxValue.TotalSeconds / 2)
            throw new UsageException($"bad {what} '{text}': give a duration like 500ms, 5s, 2m");
        return TimeSpan.FromSeconds(n * unit);
    }
}
