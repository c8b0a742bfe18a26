using System.Globalization;
using System.Text.RegularExpressions;

namespace Godo.Messages.Timing;

/// <summary>
/// An absolute event time (the kernel's clock) as the API and `godo` take it: RFC 3339 (a date first; no offset is
/// UTC, as the kernel's times) or unix seconds with an optional fraction, as in the audit log (`1795921869.586`). Kept
/// to the millisecond, as every event time is. The CLI adds its relative forms (`03:12`, `-5m`) on top.
/// </summary>
public static partial class EventTimes
{
    public const string Forms = "RFC 3339 (2026-11-29T03:12:00Z) or unix seconds (1795921869.586)";

    public static bool TryParse(string text, out DateTimeOffset at)
    {
        var t = text.Trim();
        at = default;
        if (TryParseUnixSeconds(t, out var ms))
        {
            at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }
        // A date first: DateTimeOffset's own parser takes "Monday" or "5" as well, which no one means here.
        if (!DateFirst().IsMatch(t) ||
            !DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            return false;
        at = DateTimeOffset.FromUnixTimeMilliseconds(parsed.ToUnixTimeMilliseconds());
        return true;
    }

    /// <summary>Unix seconds with an optional fraction (digits only; cut to the millisecond) to unix milliseconds.</summary>
    public static bool TryParseUnixSeconds(string text, out long ms)
    {
        ms = 0;
        if (text.Length == 0 || !char.IsAsciiDigit(text[0])) return false;
        var dot = text.IndexOf('.');
        var secPart = dot < 0 ? text : text[..dot];
        var fracPart = dot < 0 ? "" : text[(dot + 1)..];
        if (!long.TryParse(secPart, NumberStyles.None, CultureInfo.InvariantCulture, out var sec) || sec >= 1L << 40 || !fracPart.All(char.IsAsciiDigit))
            return false;
        ms = sec * 1000 + (fracPart.Length == 0 ? 0 : long.Parse((fracPart + "000")[..3], CultureInfo.InvariantCulture));
        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex DateFirst();
}
