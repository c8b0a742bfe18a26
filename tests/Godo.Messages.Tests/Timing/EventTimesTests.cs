using System.Globalization;
using Godo.Messages.Timing;

namespace Godo.Messages.Tests.Timing;

/// <summary>The one parser of absolute event times, shared by the API (`?at=`, `?from=&amp;to=`) and `godo` (which adds `03:12` and `-5m`).</summary>
public sealed class EventTimesTests
{
    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-11-29T03:12:00Z", "2026-11-29T03:12:00.000Z")]
    [InlineData("2026-11-29T03:12:00.586Z", "2026-11-29T03:12:00.586Z")]
    [InlineData("2026-11-29T03:12:00.5869999Z", "2026-11-29T03:12:00.586Z")]  // cut to the millisecond, as event times are
    [InlineData("2026-11-29T05:12:00+02:00", "2026-11-29T03:12:00.000Z")]
    [InlineData("2026-11-29T03:12:00", "2026-11-29T03:12:00.000Z")]          // no offset: UTC, as the kernel's times
    [InlineData("2026-11-29 03:12", "2026-11-29T03:12:00.000Z")]
    [InlineData("1795921869", "2026-11-29T03:11:09.000Z")]                    // unix seconds, as in the audit log
    [InlineData("1795921869.586", "2026-11-29T03:11:09.586Z")]
    [InlineData("1795921869.5", "2026-11-29T03:11:09.500Z")]
    [InlineData("1795921869.", "2026-11-29T03:11:09.000Z")]
    [InlineData("1795921869.58699", "2026-11-29T03:11:09.586Z")]
    [InlineData("  1795921869.586 ", "2026-11-29T03:11:09.586Z")]
    [InlineData("0", "1970-01-01T00:00:00.000Z")]
    public void Each_form_is_the_moment_meant(string text, string expected)
    {
        Assert.True(EventTimes.TryParse(text, out var at), text);
        Assert.Equal(expected, Iso(at));
        Assert.Equal(0, at.Ticks % TimeSpan.TicksPerMillisecond);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("Monday")]
    [InlineData("Nov 29 2026")]
    [InlineData("03:12")]                                                      // the CLI's forms, relative to now: not here
    [InlineData("-5m")]
    [InlineData("now")]
    [InlineData("-1795921869")]
    [InlineData("2026-13-40T00:00:00Z")]
    [InlineData("99999999999999999999")]
    [InlineData("1795921869.5e3")]
    [InlineData("1795921869.-5")]
    [InlineData("1795921869,5")]
    [InlineData("\u001b[2J2026-11-29T03:12:00Z")]
    [InlineData("2026-11-29T03:12:00Z\u202e")]
    public void Anything_else_is_refused(string text) => Assert.False(EventTimes.TryParse(text, out _), text);

    [Fact]
    public void Unix_seconds_are_milliseconds_of_the_epoch()
    {
        Assert.True(EventTimes.TryParseUnixSeconds("1795921869.586", out var ms));
        Assert.Equal(1_795_921_869_586, ms);
        Assert.False(EventTimes.TryParseUnixSeconds("2026-11-29", out _));
        Assert.False(EventTimes.TryParseUnixSeconds("1099511627776", out _)); // 2^40 s: past any event time
    }
}
