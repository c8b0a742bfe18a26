using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Godo.Agent;
using Godo.Agent.Assembly;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using Godo.Agent.Tree;
using Godo.Aggregator;
using Godo.Aggregator.History;
using Godo.Cli.Standalone;
using Godo.Messages.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Godo.Cli.Tests;

/// <summary>
/// A standalone godo in this process (agent pipeline + aggregator in one ActorSystem, publisher in local mode) fed
/// the docker-basic corpus; then the client commands, run as real `godo` processes against its API.
/// </summary>
public class StandaloneFixture : IAsyncLifetime
{
    public WebApplication App { get; private set; } = null!;
    public string Url { get; private set; } = "";
    public HostTree AgentTree { get; private set; } = null!;
    public string HostName => "standalone-host";
    private readonly PipelineStats _stats = new();
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("godo-cli-data-");

    /// <summary>The audit log the agent reads at start: the first half of docker-basic, containers still running.</summary>
    protected virtual string Log => Corpus.DockerBasicChunks(2)[0];

    public virtual async Task InitializeAsync()
    {
        // its own history store: never the machine's /var/lib/godo, nor another fixture's
        var settings = StandaloneHosting.Settings(new AggregatorSettings { HttpUrl = "http://127.0.0.1:0", Storage = new() { DataDir = _data.FullName } });
        App = StandaloneHosting.Build(settings, HostName, (akka, _) => akka
            .AddAgentHocon()
            .AddProcessTreeActor(new TreeActorSettings { HostName = HostName }, _stats)
            .AddSerialRouter(new AssemblyOptions(), _stats));
        await App.StartAsync();
        Url = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await FeedAsync(Log);
    }

    /// <summary>Feeds <paramref name="log"/> to the agent, then waits until the API serves the agent's tree.</summary>
    public async Task FeedAsync(string log)
    {
        var registry = App.Services.GetRequiredService<ActorRegistry>();
        await using var input = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(log));
        await new AuditStreamFeeder(registry.Get<SerialRouterActor>(), _stats).RunAsync(input);
        var tree = registry.Get<ProcessTreeActor>();
        await tree.Ask<TreeProtocol.Drained>(new TreeProtocol.WaitForDrain(), TimeSpan.FromSeconds(60));
        AgentTree = await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(10));
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        await Eventually.Until(async () =>
        {
            var resp = await http.GetAsync($"/api/hosts/{HostName}/tree");
            return resp.IsSuccessStatusCode && Corpus.Fingerprint(JsonSerializer.Deserialize(await resp.Content.ReadAsStringAsync(), GodoJsonContext.Default.HostTree)!) == Corpus.Fingerprint(AgentTree);
        }, TimeSpan.FromSeconds(60), "the standalone API serves the agent's tree");
        // The history is written behind the live tree, in batches: the queries over time need all of it in the store.
        await registry.Get<HistoryWriterActor>().Ask<HistoryProtocol.Flushed>(new HistoryProtocol.Flush(), TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _data.Delete(recursive: true);
    }
}

public sealed class StandaloneCliTests(StandaloneFixture f) : IClassFixture<StandaloneFixture>
{
    private static Task<(int Code, string Out, string Err)> Godo(params string[] args) => GodoCli.RunAsync(args);

    [Fact]
    public async Task Standalone_serves_the_agents_tree_and_the_containers()
    {
        Assert.True(f.AgentTree.Containers.Length > 0);
        var (code, output, _) = await Godo("containers", "--server", f.Url, "--json");
        Assert.Equal(0, code);
        var ids = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToHashSet();
        Assert.Equal(f.AgentTree.Containers.Select(c => c.Id).ToHashSet(), ids);
    }

    [Fact]
    public async Task Hosts_containers_ps_and_tree_print_tables_and_trees()
    {
        var (code, hosts, _) = await Godo("hosts", "--server", f.Url);
        Assert.Equal(0, code);
        Assert.Contains("standalone-host", hosts);
        Assert.Contains("up", hosts);
        Assert.StartsWith("HOST", hosts);

        var (_, containers, _) = await Godo("containers", "--server", f.Url, "--host", "standalone-host");
        var first = f.AgentTree.Containers[0];
        Assert.Contains(first.Id[..12], containers);

        var (treeCode, tree, _) = await Godo("tree", first.Id[..12], "--server", f.Url);
        Assert.Equal(0, treeCode);
        Assert.Contains($"container {first.Name ?? "(unnamed)"} {first.Id[..12]}", tree);
        Assert.DoesNotContain("host processes", tree);
        foreach (var p in f.AgentTree.Processes.Where(p => p.Container == first.Id)) Assert.Contains(p.Pid.ToString(), tree);

        var (_, hostTree, _) = await Godo("tree", "standalone-host", "--server", f.Url);
        Assert.Contains("host processes", hostTree);

        var (psCode, ps, _) = await Godo("ps", "--container", first.Id[..12], "--server", f.Url);
        Assert.Equal(0, psCode);
        Assert.Equal(f.AgentTree.Processes.Count(p => p.Container == first.Id), ps.Trim().Split('\n').Length - 1);

        var (_, json, _) = await Godo("tree", "standalone-host", "--server", f.Url, "--json");
        Assert.Equal(Corpus.Fingerprint(f.AgentTree), Corpus.Fingerprint(JsonSerializer.Deserialize(json, GodoJsonContext.Default.HostTree)!));
    }

    [Fact]
    public async Task Cluster_show_lists_the_single_member_and_the_in_process_agent()
    {
        var (code, output, _) = await Godo("cluster", "show", "--server", f.Url);
        Assert.Equal(0, code);
        Assert.Contains("akka.tcp://godo@127.0.0.1:", output);
        Assert.Contains("leader", output);
        Assert.Contains("standalone-host", output);
        Assert.Contains("(in process)", output);
    }

    [Fact]
    public async Task Bad_input_exits_2_and_an_unreachable_server_exits_1_with_one_line()
    {
        var (code, _, err) = await Godo("tree", "no-such-thing", "--server", f.Url);
        Assert.Equal(2, code);
        Assert.Equal("godo: no container 'no-such-thing' in the fleet", err.Trim());
        (code, _, err) = await Godo("containers", "--host", "nope", "--server", f.Url);
        Assert.Equal((2, "godo: unknown host 'nope'"), (code, err.Trim()));
        (code, _, err) = await Godo("cluster", "down", "not-an-address", "--server", f.Url);
        Assert.Equal(2, code);
        (code, _, err) = await Godo("hosts", "--server", "http://127.0.0.1:1");
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("cannot reach the aggregator at http://127.0.0.1:1/", err);
    }
}
