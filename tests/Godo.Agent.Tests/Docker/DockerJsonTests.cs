using System.Text.Json;
using Godo.Agent.Docker;

namespace Godo.Agent.Tests.Docker;

/// <summary>Parsing of Docker's JSON, on samples captured from docker 20.10 (API 1.41) on the dev VM.</summary>
public class DockerJsonTests
{
    private const string Id = "c25b200434426f186db24b707eed106aa6fa4a2dce2bd4082f15350b5a093779";

    private static JsonElement J(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void RenameEvent()
    {
        var ev = DockerJson.ParseEvent(J($$$"""
            {"status":"rename","id":"{{{Id}}}","from":"godo/busybox:1","Type":"container","Action":"rename",
             "Actor":{"ID":"{{{Id}}}","Attributes":{"godo.test":"yes","image":"godo/busybox:1","name":"godotest-probe3","oldName":"/godotest-probe2"}},
             "scope":"local","time":1795927501,"timeNano":1795927501874245565}
            """));
        Assert.NotNull(ev);
        Assert.Equal(DockerContainerAction.Rename, ev.Action);
        Assert.Equal(Id, ev.ContainerId);
        Assert.Equal("godotest-probe3", ev.Name);
        Assert.Equal("godotest-probe2", ev.OldName);
        Assert.Equal("godo/busybox:1", ev.Image);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795927501).AddTicks(8742455), ev.Time);
        Assert.Equal("yes", ev.Attributes["godo.test"]);
    }

    [Fact]
    public void DieAndKillEvents()
    {
        var die = DockerJson.ParseEvent(J($$$"""{"Type":"container","Action":"die","Actor":{"ID":"{{{Id}}}","Attributes":{"exitCode":"137","name":"x"}},"time":1795927501}"""));
        Assert.Equal(137, die!.ExitCode);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795927501), die.Time);
        var kill = DockerJson.ParseEvent(J($$$"""{"Type":"container","Action":"kill","Actor":{"ID":"{{{Id}}}","Attributes":{"signal":"9"}},"timeNano":1}"""));
        Assert.Equal("9", kill!.Signal);
    }

    [Theory]
    [InlineData("""{"Type":"container","Action":"exec_start: sh -c true","Actor":{"ID":"x"}}""")]
    [InlineData("""{"Type":"container","Action":"health_status: healthy","Actor":{"ID":"x"}}""")]
    [InlineData("""{"Type":"network","Action":"connect","Actor":{"ID":"x"}}""")]
    [InlineData("""{"Type":"container","Action":"start"}""")]
    public void IgnoredEvents(string json) => Assert.Null(DockerJson.ParseEvent(J(json)));

    [Fact]
    public void ListItemPrefersOwnNameOverLinkAliases()
    {
        var c = DockerJson.ParseListItem(J($$$"""
            {"Id":"{{{Id}}}","Names":["/web/db","/db"],"Image":"godo/busybox:1","ImageID":"sha256:ae07","State":"running","Created":1795927497,"Labels":null}
            """));
        Assert.NotNull(c);
        Assert.Equal("db", c.Name);
        Assert.Equal("running", c.State);
        Assert.Empty(c.Labels);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795927497), c.CreatedAt);
    }

    [Fact]
    public void InspectOfNeverStartedContainer()
    {
        var c = DockerJson.ParseInspect(J($$$"""
            {"Id":"{{{Id}}}","Name":"/godotest-x","Created":"2026-11-29T04:36:51.855974688Z","Image":"sha256:ae07",
             "State":{"Status":"created","Pid":0,"ExitCode":0,"StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z"},
             "Config":{"Image":"godo/busybox:1","Labels":{"a":"b"} } }
            """));
        Assert.NotNull(c);
        Assert.Equal("godotest-x", c.Name);
        Assert.Equal("godo/busybox:1", c.Image);
        Assert.Null(c.Pid);
        Assert.Null(c.StartedAt);
        Assert.Null(c.FinishedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 4, 36, 51, TimeSpan.Zero).AddTicks(8559746), c.CreatedAt);
        Assert.Equal("b", c.Labels["a"]);
    }

    [Theory]
    [InlineData("2026-11-29T04:44:57.405074875Z", 4050748)]
    [InlineData("2026-11-29T04:44:57.4Z", 4000000)]
    [InlineData("2026-11-29T04:44:57Z", 0)]
    public void Times(string text, long fractionTicks) =>
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 4, 44, 57, TimeSpan.Zero).AddTicks(fractionTicks), DockerJson.Time(text));

    [Fact]
    public void TimeWithOffsetIsUtc() =>
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 3, 44, 57, TimeSpan.Zero), DockerJson.Time("2026-11-29T04:44:57.000000001+01:00"));
}
