namespace Godo.Cli.Tests.History;

/// <summary>
/// Every form of T that `tree --at`, `ps --from/--to`, `lineage --at` and `replay --until` take, parsed in one place: the
/// absolute forms are the API's own parser (Godo.Messages' EventTimes, tested there), the relative ones the CLI's.
/// </summary>
public sealed class EventTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 10, 30, 0, 250, TimeSpan.Zero);
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.CreateCustomTimeZone("test+0530", TimeSpan.FromMinutes(330), "test+0530", "test+0530");

    [Theory]
    [InlineData("2026-11-29T03:12:00Z", "2026-11-29T03:12:00.000Z")]
    [InlineData("1795921869.586", "2026-11-29T03:11:09.586Z")]
    [InlineData("-5m", "2026-11-29T10:25:00.250Z")]
    [InlineData("-90s", "2026-11-29T10:28:30.250Z")]
    [InlineData("-2h", "2026-11-29T08:30:00.250Z")]
    [InlineData("-1d", "2026-11-28T10:30:00.250Z")]
    [InlineData("-250ms", "2026-11-29T10:30:00.000Z")]
    [InlineData("-30", "2026-11-29T10:29:30.250Z")]                           // a bare number is seconds, as every duration
    [InlineData("now", "2026-11-29T10:30:00.250Z")]
    public void Each_form_is_the_moment_meant(string text, string expected) =>
        Assert.Equal(expected, EventTime.ToQuery(EventTime.Parse(text, Now, "--at")));

    [Theory]
    [InlineData("03:12", "2026-11-28T21:42:00.000Z")]                         // today in Kolkata is the 29th: 03:12 there is 21:42 UTC the day before
    [InlineData("15:45:30", "2026-11-29T10:15:30.000Z")]
    [InlineData("15:45:30.125", "2026-11-29T10:15:30.125Z")]
    [InlineData("0:05", "2026-11-28T18:35:00.000Z")]
    public void A_time_of_day_is_today_in_local_time(string text, string expected) =>
        Assert.Equal(expected, EventTime.ToQuery(EventTime.Parse(text, Now, "--at", Kolkata)));

    [Fact]
    public void A_time_of_day_is_today_in_the_machines_zone_by_default()
    {
        var t = EventTime.Parse("03:12", Now, "--at");
        var local = TimeZoneInfo.ConvertTime(t, TimeZoneInfo.Local);
        Assert.Equal((3, 12, TimeZoneInfo.ConvertTime(Now, TimeZoneInfo.Local).Date), (local.Hour, local.Minute, local.Date));
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("Monday")]
    [InlineData("25:00")]
    [InlineData("03:60")]
    [InlineData("-")]
    [InlineData("--5m")]
    [InlineData("-5x")]
    [InlineData("-1e400d")]                                                    // not a time span, not an exception
    [InlineData("-99999999d")]                                                 // before 1970
    [InlineData("-NaNs")]
    [InlineData("2026-13-40T00:00:00Z")]
    [InlineData("99999999999999999999")]
    [InlineData("1795921869.5e3")]
    [InlineData("\u001b[2J\u001b[H03:12")]
    [InlineData("03:12\n4242 root sshd")]
    [InlineData("2026-11-29T03:12:00Z\u202e")]
    public void Anything_else_is_a_usage_error_naming_the_option(string text)
    {
        var e = Assert.Throws<UsageException>(() => EventTime.Parse(text, Now, "--from"));
        Assert.StartsWith("bad --from '", e.Message);
        Assert.Contains("RFC 3339", e.Message);
    }

    [Fact]
    public void Replay_until_keeps_its_forms() =>
        Assert.Equal(1_795_921_869_586, EventTime.ParseMs("1795921869.586", "--until"));

    [Fact]
    public void A_window_is_from_and_to_with_either_alone()
    {
        Assert.Null(Godo.Cli.Commands.PsCommand.Window(null, null, Now));
        Assert.Equal((Now - TimeSpan.FromMinutes(15), Now), Godo.Cli.Commands.PsCommand.Window("-15m", null, Now));
        var (from, to) = Godo.Cli.Commands.PsCommand.Window(null, "2026-11-29T03:00:00Z", Now)!.Value;
        Assert.Null(from);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 3, 0, 0, TimeSpan.Zero), to);
        var e = Assert.Throws<UsageException>(() => Godo.Cli.Commands.PsCommand.Window("-5m", "-10m", Now));
        Assert.Equal("--from 2026-11-29 10:25:00.250Z is after --to 2026-11-29 10:20:00.250Z", e.Message);
    }
}
