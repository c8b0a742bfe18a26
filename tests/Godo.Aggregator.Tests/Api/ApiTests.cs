using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Akka.Actor;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.Api;

/// <summary>One aggregator with two hosts fed straight into its ingest actor; every endpoint, its 2xx and its 4xx.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string Web = "1111111111111111111111111111111111111111111111111111111111111111";
    public const string Db = "2222222222222222222222222222222222222222222222222222222222222222";
    public static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_921_864_791);
    public AggregatorNode Node { get; private set; } = null!;
    public string WebRoot { get; } = Directory.CreateTempSubdirectory("godo-wwwroot").FullName;

    public static ProcessInfo P(int pid, int ppid, string exe, string? container, params string[] argv) => new()
    {
        Pid = pid, Ppid = ppid, Exe = exe, Comm = Path.GetFileName(exe), Argv = [.. argv], Container = container, Uid = 0,
        NsPid = container is null ? null : pid - 1000, StartedAt = T0, Cwd = "/",
    };

    public static readonly HostSnapshot Alpha = new("alpha", "inc-a", 1, T0,
        [P(1, 0, "/sbin/init", null, "/sbin/init"), P(1001, 1, "/usr/sbin/nginx", Web, "nginx", "-g", "daemon off;"), P(1002, 1001, "/usr/sbin/nginx", Web, "nginx: worker")],
        [new ContainerInfo { Id = Web, Name = "web", Image = "nginx:1.27", InitPid = 1001, ProcessCount = 2, State = "running", StartedAt = T0 }],
        new AgentStats { Version = "t", Records = 10, Events = 4, Lost = 1, StartedAt = T0, ProcEvents = 7, ExitSources = ["audit", "proc-events"] });

    public static readonly HostSnapshot Beta = new("beta", "inc-b", 1, T0,
        [P(1, 0, "/sbin/init", null, "/sbin/init"), P(1500, 1, "/usr/bin/postgres", Db, "postgres", "-D", "/data")],
        [new ContainerInfo { Id = Db, Name = "db", Image = "postgres:17", InitPid = 1500, ProcessCount = 1, State = "running", StartedAt = T0 }],
        new AgentStats());

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(WebRoot, "index.html"), "<html>godo dashboard placeholder</html>");
        // The hosts are sent once: long host timings keep them "up" however slowly a loaded machine runs the tests.
        Node = await AggregatorNode.StartAsync(new AggregatorSettings { WebRoot = WebRoot, StaleAfter = TimeSpan.FromMinutes(10), DownAfter = TimeSpan.FromMinutes(20) });
        var ingest = Node.System.ActorSelection(GodoConstants.AgentIngestPath);
        ingest.Tell(Alpha);
        ingest.Tell(Beta);
        await Eventually.Until(() => Task.FromResult(Node.Fleet.Count == 2), TimeSpan.FromSeconds(60), "two hosts");
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        Directory.Delete(WebRoot, true);
    }
}

public sealed class ApiTests(ApiFixture f) : IClassFixture<ApiFixture>
{
    private HttpClient Http => f.Node.Http;

    private async Task<(HttpStatusCode, JsonElement)> Get(string url)
    {
        using var resp = await Http.GetAsync(url);
        var text = await resp.Content.ReadAsStringAsync();
        return (resp.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Hosts_lists_every_host_with_status_counts_and_agent_stats()
    {
        var (code, json) = await Get("/api/hosts");
        Assert.Equal(HttpStatusCode.OK, code);
        var alpha = json.EnumerateArray().Single(h => h.GetProperty("host").GetString() == "alpha");
        Assert.Equal("up", alpha.GetProperty("status").GetString());
        Assert.Equal(3, alpha.GetProperty("processCount").GetInt32());
        Assert.Equal(1, alpha.GetProperty("containerCount").GetInt32());
        Assert.Equal(1, alpha.GetProperty("stats").GetProperty("lost").GetInt64());
        Assert.Equal(7, alpha.GetProperty("stats").GetProperty("procEvents").GetInt64());
        Assert.Equal(["audit", "proc-events"], alpha.GetProperty("exitSources").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var beta = json.EnumerateArray().Single(h => h.GetProperty("host").GetString() == "beta");
        Assert.Empty(beta.GetProperty("exitSources").EnumerateArray()); // an agent that does not say (older) claims nothing
        Assert.True(alpha.TryGetProperty("lastSeen", out _));
        Assert.Equal(HttpStatusCode.OK, (await Get("/api/hosts/beta")).Item1);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/hosts/nosuchhost")).Item1);
    }

    [Fact]
    public async Task Tree_is_the_replay_json_document_of_the_host()
    {
        using var resp = await Http.GetAsync("/api/hosts/alpha/tree");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var text = await resp.Content.ReadAsStringAsync();
        var tree = JsonSerializer.Deserialize(text, GodoJsonContext.Default.HostTree)!;
        Assert.Equal("alpha", tree.Host);
        Assert.Equal(Json(ApiFixture.Alpha.Processes), Json(tree.Processes));
        Assert.Equal(Json(ApiFixture.Alpha.Containers), Json(tree.Containers));
        // the public schema's field names, nulls written
        var doc = JsonDocument.Parse(text).RootElement;
        Assert.Equal(["host", "asOf", "processes", "containers", "stats"], doc.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("processes")[0].GetProperty("container").ValueKind);

        var (missing, error) = await Get("/api/hosts/nope/tree");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("unknown host 'nope'", error.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await Get("/api/hosts/alpha/tree?includeExited=maybe")).Item1);
    }

    private static string Json<T>(ImmutableArray<T> items) => string.Join("\n", items.Select(i => i switch
    {
        ProcessInfo p => JsonSerializer.Serialize(p, GodoJsonContext.Default.ProcessInfo),
        ContainerInfo c => JsonSerializer.Serialize(c, GodoJsonContext.Default.ContainerInfo),
        _ => "",
    }));

    [Fact]
    public async Task Containers_across_the_fleet_or_one_host()
    {
        var (_, all) = await Get("/api/containers");
        Assert.Equal(["db", "web"], all.EnumerateArray().Where(c => c.GetProperty("host").GetString() is "alpha" or "beta")
            .Select(c => c.GetProperty("name").GetString()).Order());
        var web = all.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "web");
        Assert.Equal(("alpha", "nginx:1.27", 2, 1001), (web.GetProperty("host").GetString(), web.GetProperty("image").GetString(),
            web.GetProperty("processCount").GetInt32(), web.GetProperty("initPid").GetInt32()));
        var (_, beta) = await Get("/api/containers?host=beta");
        Assert.Equal("db", Assert.Single(beta.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/containers?host=nope")).Item1);
    }

    [Theory]
    [InlineData("web")]
    [InlineData("111111")]
    [InlineData(ApiFixture.Web)]
    public async Task A_container_by_name_prefix_or_id_with_its_processes(string key)
    {
        var (code, json) = await Get($"/api/containers/{key}");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(ApiFixture.Web, json.GetProperty("container").GetProperty("id").GetString());
        Assert.Equal([1001, 1002], json.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()));
    }

    [Fact]
    public async Task Unknown_or_ambiguous_containers_are_4xx_with_a_json_error()
    {
        var (code, json) = await Get("/api/containers/nosuch");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Contains("no container 'nosuch'", json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/containers/web?host=beta")).Item1);
        // a second container whose id starts like web's, on another host: the shared prefix is ambiguous
        f.Node.System.ActorSelection(GodoConstants.AgentIngestPath).Tell(new HostSnapshot("gamma", "inc-g", 1, ApiFixture.T0, [],
            [new ContainerInfo { Id = "1111119999999999999999999999999999999999999999999999999999999999", Name = "web2" }], new AgentStats()));
        await Eventually.Until(async () => (await Get("/api/containers/web2")).Item1 == HttpStatusCode.OK, TimeSpan.FromSeconds(5), "web2");
        var (conflict, amb) = await Get("/api/containers/111111");
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal(2, amb.GetProperty("candidates").GetArrayLength());
    }

    [Fact]
    public async Task Processes_search_by_host_container_exe_and_argv()
    {
        var (_, byContainer) = await Get("/api/processes?container=web");
        Assert.Equal([1001, 1002], byContainer.EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()));
        Assert.Equal("web", byContainer[0].GetProperty("containerName").GetString());
        var (_, byArgv) = await Get("/api/processes?argv=daemon%20off");
        Assert.Equal(1001, Assert.Single(byArgv.EnumerateArray()).GetProperty("pid").GetInt32());
        var (_, byExe) = await Get("/api/processes?exe=postgres");
        Assert.Equal("beta", Assert.Single(byExe.EnumerateArray()).GetProperty("host").GetString());
        var (_, byHost) = await Get("/api/processes?host=alpha&exe=init");
        Assert.Single(byHost.EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/processes?host=nope")).Item1);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/processes?container=nope")).Item1);
        Assert.Equal(HttpStatusCode.BadRequest, (await Get("/api/processes?limit=-3")).Item1);
    }

    [Fact]
    public async Task Events_stream_execs_and_exits_as_server_sent_events()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var ingest = f.Node.System.ActorSelection(GodoConstants.AgentIngestPath);
        ingest.Tell(ApiFixture.Alpha with { Host = "events" });
        await Eventually.Until(() => Task.FromResult(f.Node.Fleet.Get("events") is not null), TimeSpan.FromSeconds(5), "host 'events'");
        using var stream = await Http.GetStreamAsync("/api/events?host=events", cts.Token);
        using var reader = new StreamReader(stream);
        Assert.StartsWith(":", await reader.ReadLineAsync(cts.Token));
        ingest.Tell(new HostDelta("beta", "inc-b", 99, ApiFixture.T0, [], [])); // another host (a gap, even): filtered out
        ingest.Tell(new HostFeed("events", "inc-a", 1,
            [new FeedEvent { Kind = FeedEventKind.Exec, Seq = 1, At = ApiFixture.T0, ReceivedAt = ApiFixture.T0, Pid = 1003, Ppid = 1001, Exe = "/bin/sh",
                Argv = ["sh", "-c", "date"], Container = ApiFixture.Web }]));
        string? eventLine = null, data = null;
        while (data is null && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("event: ")) eventLine = line;
            else if (line.StartsWith("data: ")) data = line[6..];
        }
        Assert.Equal("event: exec", eventLine);
        var e = JsonDocument.Parse(data!).RootElement;
        Assert.Equal(("events", 1003, "web"), (e.GetProperty("host").GetString(), e.GetProperty("pid").GetInt32(), e.GetProperty("containerName").GetString()));
        Assert.Equal(["sh", "-c", "date"], e.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal((1, ApiFixture.T0), (e.GetProperty("seq").GetInt64(), e.GetProperty("at").GetDateTimeOffset()));

        // a later client asks for the recent history: the stream starts with it
        using var again = await Http.GetStreamAsync("/api/events?host=events&kind=exec&recent=5", cts.Token);
        using var history = new StreamReader(again);
        string? first = null;
        while (first is null && await history.ReadLineAsync(cts.Token) is { } line)
            if (line.StartsWith("data: ")) first = line[6..];
        Assert.Equal(1003, JsonDocument.Parse(first!).RootElement.GetProperty("pid").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await Get("/api/events?recent=lots")).Item1);
    }

    [Fact]
    public async Task Cluster_show_lists_the_member_leader_and_agents_and_leave_down_check_their_input()
    {
        var (_, json) = await Get("/api/cluster");
        var member = Assert.Single(json.GetProperty("members").EnumerateArray());
        Assert.Equal(("up", true, true, true), (member.GetProperty("status").GetString(), member.GetProperty("leader").GetBoolean(),
            member.GetProperty("self").GetBoolean(), member.GetProperty("reachable").GetBoolean()));
        Assert.Equal(["aggregator"], member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(json.GetProperty("self").GetString(), json.GetProperty("leader").GetString());
        Assert.Contains(json.GetProperty("agents").EnumerateArray(), a => a.GetProperty("host").GetString() == "alpha" && a.GetProperty("version").GetString() == "t");

        // A change is a JSON POST (RequestGuards): an empty object when the address is in the query.
        static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/api/cluster/down", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/api/cluster/down?address=nonsense", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("/api/cluster/down?address=akka.tcp://godo@127.0.0.1:1", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/api/cluster/leave", Json("{not json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("/api/cluster/leave", Json("""{"address": "akka.tcp://godo@127.0.0.1:1"}"""))).StatusCode);
    }

    [Fact]
    public async Task Ops_actor_hierarchy_health_and_metrics()
    {
        var (_, actors) = await Get("/ops/actors");
        var paths = actors.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains("/user/agent-ingest", paths);
        Assert.Contains("/system/receptionist", paths);

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/healthz/live")).StatusCode);
        await Eventually.Until(async () => (await Http.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "ready");

        await Http.GetAsync("/api/hosts");
        var metrics = await Http.GetStringAsync("/metrics");
        foreach (var name in new[] { "godo_snapshots_total", "godo_deltas_total", "godo_agent_records{host=\"alpha\"} 10", "godo_agent_events{host=\"alpha\"} 4",
                     "godo_agent_lost{host=\"alpha\"} 1", "godo_tree_processes{host=\"alpha\"}", "godo_api_request_duration_seconds_bucket{endpoint=\"/api/hosts\"" })
            Assert.Contains(name, metrics);

        var (_, memory) = await Get("/ops/memory");
        Assert.True(memory.GetProperty("managedBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Static_files_are_served_at_the_root_and_unknown_paths_are_json_404()
    {
        var index = await Http.GetStringAsync("/");
        Assert.Contains("godo dashboard placeholder", index);
        var (code, json) = await Get("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.True(json.TryGetProperty("error", out _));
    }
}
