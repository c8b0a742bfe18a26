using Akka.Actor;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Microsoft.Extensions.DependencyInjection;

namespace Godo.Cli.Tests;

/// <summary>The standalone, plus a second host (one snapshot, never a heartbeat: soon stale, then down) whose container (named with markup and a bidi override) shares an id prefix with one of the standalone's.</summary>
public sealed class TwinFixture : StandaloneFixture
{
    public ContainerInfo Original { get; private set; } = null!;
    public string TwinId { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Original = AgentTree.Containers[0];
        TwinId = Original.Id[..6] + new string('f', 58);
        App.Services.GetRequiredService<ActorSystem>().ActorSelection(GodoConstants.AgentIngestPath).Tell(new HostSnapshot("twin-host", "inc-twin", 1, DateTimeOffset.UtcNow,
            [new ProcessInfo { Pid = 4242, Ppid = 1, Comm = "sleep", Argv = ["sleep", "1000"], Uid = 0 }],
            [new ContainerInfo { Id = TwinId, Name = "<i>web</i>\u202e", Image = "<b>twin</b>\u001b[2J" }], new AgentStats()));
        await Eventually.Until(async () => (await GodoCli.RunAsync("containers", "--host", "twin-host", "--server", Url)).Code == 0, TimeSpan.FromSeconds(60), "the twin host");
    }
}

public sealed class AmbiguityCliTests(TwinFixture f) : IClassFixture<TwinFixture>
{
    [Theory]
    [InlineData("tree")]
    [InlineData("ps", "--container")]
    public async Task An_ambiguous_prefix_lists_its_candidates(params string[] command)
    {
        var (code, output, err) = await GodoCli.RunAsync([.. command, f.Original.Id[..6], "--server", f.Url]);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = err.TrimEnd('\n').Split('\n');
        Assert.StartsWith($"godo: '{f.Original.Id[..6]}' matches 2 containers", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains($"  standalone-host  {f.Original.Id[..12]}  (unnamed)  -", lines);
        Assert.Contains($"  twin-host  {f.TwinId[..12]}  <i>web</i>\\u202e  <b>twin</b>\\x1b[2J", lines);
    }

    [Fact]
    public async Task A_host_settles_an_ambiguous_prefix()
    {
        var (code, output, err) = await GodoCli.RunAsync("tree", f.Original.Id[..6], "--host", "standalone-host", "--server", f.Url);
        Assert.True(code == 0, err);
        Assert.Contains(f.Original.Id[..12], output);
    }

    [Fact]
    public async Task The_processes_of_a_host_that_is_not_up_are_marked()
    {
        string ps = "", tree = "";
        await Eventually.Until(async () =>
        {
            ps = (await GodoCli.RunAsync("ps", "--host", "twin-host", "--server", f.Url)).Out;
            tree = (await GodoCli.RunAsync("tree", "twin-host", "--server", f.Url)).Out;
            return ps.Contains("twin-host (stale)") || ps.Contains("twin-host (down)");
        }, TimeSpan.FromSeconds(120), "twin-host marked stale or down in ps");
        Assert.Matches(@"^host twin-host \((STALE|DOWN)", tree);
        Assert.DoesNotContain("standalone-host (", (await GodoCli.RunAsync("ps", "--server", f.Url)).Out);
    }
}
