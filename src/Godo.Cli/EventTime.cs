using System.Globalization;
using System.Text.RegularExpressions;
using Godo.Messages.Timing;

namespace Godo.Cli;

/// <summary>
/// Times as users give them, in one place for every command (`replay --until`, `tree --at`, `ps --from/--to`,
/// `lineage --at`): the absolute forms the API takes too (<see cref="EventTimes"/>: RFC 3339, unix seconds as in the
/// audit log), and on top a time of today in local time (`03:12`) or a time ago (`-5m`). They are the kernel's time,
/// which the history is kept in.
/// </summary>
public static partial class EventTime
{
    public const string Forms = "give RFC 3339 (2026-11-29T03:12:00Z), a time today in local time (03:12), unix seconds (1795921869.586) or a time ago (-5m, -2h, -1d)";

    public static long ParseMs(string text, string what = "time") => Parse(text, DateTimeOffset.Now, what).ToUnixTimeMilliseconds();

    /// <param name="now">what `-5m` and `03:12` count from</param>
    /// <param name="zone">the zone of `03:12` (default: the local one)</param>
    public static DateTimeOffset Parse(string text, DateTimeOffset now, string what = "time", TimeZoneInfo? zone = null)
    {
        var t = text.Trim();
        if (t == "now") return now;
        if (t.StartsWith('-') && t.Length > 1 && char.IsAsciiDigit(t[1]))
        {
            TimeSpan ago;
            try { ago = Duration.Parse(t[1..], what); }
            catch (UsageException) { throw Bad(text, what); }
            return ago < now - DateTimeOffset.UnixEpoch ? now - ago : throw new UsageException($"bad {what} '{text}': before 1970");
        }
        if (EventTimes.TryParseUnixSeconds(t, out var ms)) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (TimeOfDay().IsMatch(t) && TimeSpan.TryParse(t.Length <= 5 ? t + ":00" : t, CultureInfo.InvariantCulture, out var of) && of < TimeSpan.FromDays(1))
        {
            zone ??= TimeZoneInfo.Local;
            var today = TimeZoneInfo.ConvertTime(now, zone).Date + of;
            return new DateTimeOffset(today, zone.GetUtcOffset(today));
        }
        return EventTimes.TryParse(t, out var at) ? at : throw Bad(text, what);
    }

    private static UsageException Bad(string text, string what) => new($"bad {what} '{text}': {Forms}");

    /// <summary>A time as the API takes it: RFC 3339 in UTC, to the millisecond.</summary>
    public static string ToQuery(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A time as the terminal shows it: UTC, to the millisecond.</summary>
    public static string Show(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d{1,2}:\d{2}(:\d{2}(\.\d{1,7})?)?$")]
    private static partial Regex TimeOfDay();
}
