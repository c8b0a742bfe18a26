using System.Globalization;
using Godo.Messages.Model;

namespace Godo.Cli;

/// <summary>Sizes as people write them: 32768, 32K, 32KiB, 8M, 8MiB (powers of 1024).</summary>
public static class ByteSize
{
    public static long Parse(string text, string what)
    {
        var t = text.Trim();
        var lower = t.ToLowerInvariant();
        var (number, unit) = lower.EndsWith("kib") || lower.EndsWith("kb") ? (t[..^(lower.EndsWith("kib") ? 3 : 2)], 1024L)
            : lower.EndsWith("mib") || lower.EndsWith("mb") ? (t[..^(lower.EndsWith("mib") ? 3 : 2)], 1024L * 1024)
            : lower.EndsWith("gib") || lower.EndsWith("gb") ? (t[..^(lower.EndsWith("gib") ? 3 : 2)], 1024L * 1024 * 1024)
            : lower.EndsWith('k') ? (t[..^1], 1024L) : lower.EndsWith('m') ? (t[..^1], 1024L * 1024)
            : lower.EndsWith('g') ? (t[..^1], 1024L * 1024 * 1024) : (t, 1L);
        if (!long.TryParse(number.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / unit)
            throw new UsageException($"bad {what} '{text}': give a size like 32768, 32KiB, 8MiB or 10GiB");
        return n * unit;
    }

    /// <summary>A size within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static long Parse(string text, string what, long min, long max)
    {
        var bytes = Parse(text, what);
        return bytes >= min && bytes <= max ? bytes
            : throw new UsageException($"bad {what} '{text}': give a size from {min >> 20}MiB to {max >> 30}GiB");
    }

    /// <summary>`--argv-cap`, the same for agent, standalone and replay, so their trees compare equal.</summary>
    public static System.CommandLine.Option<string?> ArgvCapOption() =>
        new("--argv-cap") { Description = "argv kept and sent per process, e.g. 32KiB (default) or off; a cut argv is marked argvTruncated with its original size and count (GODO_ARGV_CAP)" };

    /// <summary>The argv cap as written (`--argv-cap`, Agent:ArgvCap, Aggregator:ArgvCap): a size, or off (0).</summary>
    public static ProcessCaps ArgvCap(string? text, string what)
    {
        if (text is null) return ProcessCaps.Default;
        if (text.Trim() is "off" or "0") return ProcessCaps.ArgvOff;
        var bytes = Parse(text, what);
        if (bytes < ProcessCaps.MinArgvBytes || bytes > 64L * 1024 * 1024)
            throw new UsageException($"bad {what} '{text}': give off, or from {ProcessCaps.MinArgvBytes / 1024}KiB to 64MiB");
        return new ProcessCaps { ArgvBytes = (int)bytes };
    }
}
