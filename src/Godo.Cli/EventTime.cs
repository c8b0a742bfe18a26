using System.Globalization;

namespace Godo.Cli;

/// <summary>Times as users give them: the log's own SECONDS.MILLIS, or ISO-8601.</summary>
public static class EventTime
{
    public static long ParseMs(string text)
    {
        text = text.Trim();
        if (text.Length > 0 && char.IsAsciiDigit(text[0]) && !text.Contains('-') && !text.Contains(':'))
        {
            var dot = text.IndexOf('.');
            var secPart = dot < 0 ? text : text[..dot];
            var fracPart = dot < 0 ? "" : text[(dot + 1)..];
            if (long.TryParse(secPart, NumberStyles.None, CultureInfo.InvariantCulture, out var sec) &&
                (fracPart.Length == 0 || fracPart.All(char.IsAsciiDigit)) && sec < 1L << 40)
            {
                var ms = fracPart.Length == 0 ? 0 : long.Parse((fracPart + "000")[..3], CultureInfo.InvariantCulture);
                return sec * 1000 + ms;
            }
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t.ToUnixTimeMilliseconds();
        throw new UsageException($"bad time '{text}': give SECONDS.MILLIS as in the audit log (e.g. 1795921869.586) or ISO-8601 (e.g. 2026-11-29T03:12:00Z)");
    }
}
