using System.Net.Http.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Api;
using Godo.Messages.Wire;
using Microsoft.Extensions.DependencyInjection;

namespace Godo.Aggregator.Tests.Clustering;

/// <summary>
/// Issue 10 on loopback: rogue members, rogue plain Akka clients, agents with the wrong certificate, a second agent
/// for a host, a second aggregator on a used port. Each gets nowhere, and the real fleet's state does not change.
/// </summary>
public sealed class RemotingSecurityTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(4);

    /// <summary>A plain Akka.Remote system, no cluster, that speaks godo's wire format and the ClusterClient's.</summary>
    private static ActorSystem Rogue() => ActorSystem.Create("rogue", ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = ERROR
            """ + "\n" + GodoWireSerializer.Hocon).WithFallback(ClusterClientReceptionist.DefaultConfig()));

    /// <summary>
    /// A member the fleet refuses at the handshake. Akka.Remote runs CoordinatedShutdown on the side whose outbound TLS
    /// handshake fails (exit code 79, akka.net#7839), so a rogue member may end while it is still starting (CI,
    /// 2026-11-30: "Cannot create child while terminating" from sharding's start) or just after. It is kept out either
    /// way; what the test asserts is the fleet's side.
    /// </summary>
    private static async Task<AggregatorNode?> StartRogueMemberAsync(AggregatorSettings settings, Address seed)
    {
        try { return await AggregatorNode.StartAsync(settings, seed); }
        catch (InvalidOperationException e) when (e.Message.Contains("terminat", StringComparison.OrdinalIgnoreCase)) { return null; }
    }

    private static HostSnapshot Fake(string host) =>
        new(host, Guid.NewGuid().ToString("N"), 1, DateTimeOffset.UtcNow,
            [new Godo.Messages.Model.ProcessInfo { Pid = 666, Ppid = 1, Comm = "evil", Exe = "/bin/evil", Argv = ["evil"] }], [], new AgentStats(),
            "akka.tcp://rogue@127.0.0.1:1");

    private static async Task<(int Processes, long Sequence)> Fingerprint(AggregatorNode agg, string host)
    {
        var h = await agg.GetAsync<HostSummary>($"/api/hosts/{host}");
        var tree = await agg.TreeAsync(host);
        return (tree!.Processes.Length, h.Sequence);
    }

    private static async Task FeedSomething(AgentNode agent) =>
        await agent.FeedAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", "threads-exec", "audit.log")), endOfStream: true);

    [Fact]
    public async Task Without_TLS_a_rogue_plain_client_can_stop_nothing_and_take_no_host()
    {
        await using var agg = await AggregatorNode.StartAsync();
        await using var agent = await AgentNode.StartAsync("web-1", [agg.Address]);
        await FeedSomething(agent);
        await Eventually.Until(async () => await agg.TreeAsync("web-1") is { Processes.Length: > 0 } t && t.Processes.Length == (await agent.TreeAsync()).Processes.Length,
            TimeSpan.FromSeconds(20), "web-1 on the aggregator");
        var before = await Fingerprint(agg, "web-1");

        using var rogue = Rogue();
        rogue.ActorSelection($"{agent.Address}/user/process-tree").Tell(PoisonPill.Instance);
        rogue.ActorSelection($"{agg.Address}/user/agent-ingest").Tell(PoisonPill.Instance);
        rogue.ActorSelection($"{agg.Address}/user/agent-ingest").Tell(Fake("web-1"));
        // the agents' own door, the receptionist: without TLS anyone may speak there as an agent
        rogue.ActorSelection($"{agg.Address}/system/receptionist").Tell(new ClusterClient.SendToAll("/user/agent-ingest", Fake("web-1")));
        // a second agent claiming web-1 (a cloned machine): the one that holds it keeps it
        await using var clone = await AgentNode.StartAsync("web-1", [agg.Address]);
        await clone.FeedAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", "daemons-args", "audit.log")), endOfStream: true);
        await Task.Delay(Settle);

        Assert.NotEmpty((await agent.TreeAsync()).Processes); // the tree actor lives
        var ingest = await agg.System.ActorSelection("/user/agent-ingest").ResolveOne(TimeSpan.FromSeconds(3));
        Assert.NotNull(ingest);
        Assert.Equal(before, await Fingerprint(agg, "web-1"));
        var summary = await agg.GetAsync<HostSummary>("/api/hosts/web-1");
        Assert.Equal(HostStatus.Up, summary.Status);
        Assert.NotNull(summary.Conflict);
        Assert.Equal(clone.Address.ToString(), summary.Conflict!.AgentAddress);
        Assert.Contains("another agent holds this host", summary.Conflict.Reason);
        Assert.DoesNotContain((await agg.TreeAsync("web-1"))!.Processes, p => p.Pid == 666);
        Assert.True((await agg.Http.GetAsync("/healthz/ready")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Under_TLS_only_the_fleet_gets_in_and_an_agent_publishes_only_its_own_host()
    {
        using var certs = new FleetCertsDir();
        using var otherCa = new FleetCertsDir();
        await using var agg = await AggregatorNode.StartAsync(new AggregatorSettings { Tls = certs.Trust("agg-1", "aggregator") });
        Assert.StartsWith("akka.ssl.tcp://", agg.Address.ToString());
        await using var agent = await AgentNode.StartAsync("web-1", [agg.Address], tls: certs.Trust("web-1", "agent"));
        await FeedSomething(agent);
        await Eventually.Until(async () => await agg.TreeAsync("web-1") is { Processes.Length: > 0 } t && t.Processes.Length == (await agent.TreeAsync()).Processes.Length,
            TimeSpan.FromSeconds(30), "web-1 on the aggregator over TLS");
        Assert.True((await agg.GetAsync<HostSummary>("/api/hosts/web-1")).Verified);
        var before = await Fingerprint(agg, "web-1");

        // rogue members: no certificate at all, and a certificate of another CA
        await using var plainMember = await StartRogueMemberAsync(new AggregatorSettings(), new Address("akka.tcp", "godo", "127.0.0.1", agg.Address.Port));
        await using var strangerMember = await StartRogueMemberAsync(new AggregatorSettings { Tls = otherCa.Trust("agg-x", "aggregator") }, agg.Address);
        // agents: a stranger's certificate; a certificate that names another host, claiming a new host and web-1
        await using var stranger = await AgentNode.StartAsync("web-2", [agg.Address], tls: otherCa.Trust("web-2", "agent"));
        await using var liar = await AgentNode.StartAsync("web-9", [agg.Address], tls: certs.Trust("web-4", "agent"));
        await using var thief = await AgentNode.StartAsync("web-1", [agg.Address], tls: certs.Trust("web-5", "agent"));
        await FeedSomething(thief);
        // a rogue plain client
        using var rogue = Rogue();
        var plain = new Address("akka.tcp", "godo", "127.0.0.1", agg.Address.Port);
        rogue.ActorSelection(plain + "/user/agent-ingest").Tell(PoisonPill.Instance);
        rogue.ActorSelection(plain + "/system/receptionist")
            .Tell(new ClusterClient.SendToAll("/user/agent-ingest", Fake("web-1")));
        await Task.Delay(TimeSpan.FromSeconds(10));

        Assert.Single(Cluster.Get(agg.System).State.Members);
        var hosts = await agg.GetAsync<List<HostSummary>>("/api/hosts");
        Assert.Equal(["web-1"], hosts.Select(h => h.Host));
        Assert.Equal(before, await Fingerprint(agg, "web-1"));
        Assert.Contains("names 'web-5', not 'web-1'", hosts[0].Conflict?.Reason);
        Assert.Equal(HostStatus.Up, hosts[0].Status);
    }

    [Fact]
    public async Task A_second_aggregator_on_a_used_port_exits_2_with_one_line()
    {
        var (remote, http1, http2) = (GodoProcess.FreePort(), GodoProcess.FreePort(), GodoProcess.FreePort());
        await using var first = new GodoProcess("first", "aggregator", "--remote-port", remote.ToString(), "--http", $"http://127.0.0.1:{http1}");
        using var client = new HttpClient();
        await Eventually.Until(async () => (await client.GetAsync($"http://127.0.0.1:{http1}/healthz/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(40), "the first aggregator ready");
        await using var second = new GodoProcess("second", "aggregator", "--remote-port", remote.ToString(), "--http", $"http://127.0.0.1:{http2}");
        Assert.Equal(2, await second.ExitCodeAsync(TimeSpan.FromSeconds(40)));
        var errors = second.Log.Split('\n').Where(l => l.StartsWith("godo: ", StringComparison.Ordinal)).ToList();
        Assert.Equal($"godo: cannot listen on 127.0.0.1:{remote}: the port is in use (another godo?); choose another with --remote-port", Assert.Single(errors));
        Assert.False(first.HasExited);
        Assert.True((await client.GetAsync($"http://127.0.0.1:{http1}/healthz/ready")).IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("refusing remoting on 0.0.0.0 without TLS", "aggregator", "--remote-host", "0.0.0.0", "--remote-port", "0", "--http", "http://127.0.0.1:0")]
    [InlineData("bad --host-name", "agent", "--host-name", "web_01", "--source", "stdin")]
    [InlineData("TLS needs all three", "aggregator", "--tls-cert", "x.crt", "--remote-port", "0")]
    public async Task Unsafe_or_bad_settings_are_one_line_and_exit_2(string message, params string[] args)
    {
        await using var p = new GodoProcess("refused", args);
        Assert.Equal(2, await p.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, Assert.Single(p.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task An_agent_refuses_a_certificate_that_names_another_host()
    {
        using var certs = new FleetCertsDir();
        await using var p = new GodoProcess("agent", ["agent", "--host-name", "web-1", "--source", "stdin", .. certs.Flags("web-2", "agent")]);
        Assert.Equal(2, await p.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("names 'web-2', not this host 'web-1'", p.Log);
    }
}

/// <summary>A critical actor that stops takes the process down (to be restarted afresh), and readiness says so.</summary>
public sealed class CriticalActorTests
{
    [Fact]
    public async Task When_the_ingest_stops_readiness_fails_and_the_actor_system_ends()
    {
        await using var agg = await AggregatorNode.StartAsync();
        Assert.True((await agg.Http.GetAsync("/healthz/ready")).IsSuccessStatusCode);
        var critical = agg.App.Services.GetRequiredService<Godo.Messages.Supervision.CriticalActors>();
        var check = new Godo.Aggregator.Ops.PipelineHealthCheck(critical);
        agg.System.ActorSelection("/user/agent-ingest").Tell(PoisonPill.Instance); // from inside: remoting would drop it
        await Eventually.Until(() => Task.FromResult(critical.Failure is not null), TimeSpan.FromSeconds(10), "the failure noticed");
        Assert.Equal("the agent ingest stopped", critical.Failure);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await check.CheckHealthAsync(new())).Status);
        Assert.True(agg.System.WhenTerminated.Wait(TimeSpan.FromSeconds(30)), "the ActorSystem shuts down");
    }

    [Fact]
    public async Task When_the_agents_tree_stops_the_publisher_follows_and_the_agent_fails()
    {
        await using var agg = await AggregatorNode.StartAsync();
        var critical = new Godo.Messages.Supervision.CriticalActors();
        await using var agent = await AgentNode.StartAsync("web-1", [agg.Address], critical: critical);
        agent.Tree.Tell(PoisonPill.Instance);
        await Eventually.Until(() => Task.FromResult(critical.Failure is not null), TimeSpan.FromSeconds(10), "the agent's failure noticed");
        Assert.Equal("the aggregator publisher stopped", critical.Failure);
        Assert.True(critical.Failed.IsCancellationRequested);
    }
}
