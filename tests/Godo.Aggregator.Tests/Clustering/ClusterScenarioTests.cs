using System.Diagnostics;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Model;
using Xunit.Abstractions;
using Godo.Messages.Api;

namespace Godo.Aggregator.Tests.Clustering;

/// <summary>
/// Three aggregators (ActorSystems in this process, loopback, free ports) and two agents with real tree actors
/// replaying the docker-basic corpus through ClusterClients. One scenario, in phases, because a cluster takes seconds
/// to form: agreement, healed gaps, a crashed aggregator, and a dead agent.
/// </summary>
public sealed class ClusterScenarioTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_aggregator_serves_each_agents_tree_through_gaps_a_crashed_aggregator_and_a_dead_agent()
    {
        var clock = Stopwatch.StartNew();
        void Log(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s {what}");

        await using var agg1 = await AggregatorNode.StartAsync();
        await using var agg2 = await AggregatorNode.StartAsync(null, agg1.Address);
        // agg3 can crash: its ActorSystem ends without running CoordinatedShutdown (no leave)
        await using var agg3 = await AggregatorNode.StartAsync(new AggregatorSettings { ExtraHocon = "akka.coordinated-shutdown.run-by-actor-system-terminate = off" }, agg1.Address);
        var aggregators = new[] { agg1, agg2, agg3 };
        foreach (var a in aggregators) await a.WaitUpAsync(3, Converge);
        Log("3 aggregators up");

        var contacts = aggregators.Select(a => a.Address).ToList();
        await using var steady = await AgentNode.StartAsync("steady", contacts);
        // this agent loses deltas on purpose: every aggregator must see the gap and heal it with a snapshot
        await using var lossy = await AgentNode.StartAsync("lossy", contacts, dropDelta: d => d.Sequence % 4 == 3);
        var agents = new[] { steady, lossy };
        // In chunks, a little apart, so that the agents send many deltas (one per 100 ms batch), as on a live host.
        var chunks = Corpus.DockerBasicChunks(12);
        async Task Feed(IEnumerable<string> part, bool end)
        {
            var list = part.ToList();
            for (var i = 0; i < list.Count; i++)
            {
                await Task.WhenAll(agents.Where(a => !a.Stopped).Select(a => a.FeedAsync(list[i], endOfStream: end && i == list.Count - 1)));
                await Task.Delay(250);
            }
        }

        await Feed(chunks.Take(6), end: false);
        Log("first half of the corpus applied by both agents");
        await AllAgree(agents, aggregators, Log);
        var middle = await steady.TreeAsync();
        Assert.True(middle.Processes.Length > 10 && middle.Containers.Length > 0, "halfway, the corpus has containers running");

        await Eventually.Until(async () => (await lossy.CountersAsync()).Snapshots > 1, TimeSpan.FromSeconds(10), "a snapshot healed the lossy agent's gaps");
        var lossyCounters = await lossy.CountersAsync();
        Log($"lossy publisher: {lossyCounters}");
        Assert.True(lossyCounters.DroppedDeltas > 0, "deltas were dropped");
        Assert.True(lossyCounters.Snapshots > 1, "the gap was healed by a new snapshot");
        // Only the member holding the host's entity sees its deltas (Send, not SendToAll): that one noticed the gap.
        Assert.Contains(aggregators, a => a.Metrics.SnapshotRequests.WithLabels("gap").Value + a.Metrics.SnapshotRequests.WithLabels("behind").Value > 0
                                          || a.Fleet.Get("lossy")?.SnapshotsApplied > 1);
        Assert.Equal(0, (await steady.CountersAsync()).DroppedDeltas);

        await agg3.CrashAsync();
        Log("agg3 crashed");
        var survivors = new[] { agg1, agg2 };
        foreach (var a in survivors) Assert.Equal(2, (await a.GetAsync<List<HostSummary>>("/api/hosts")).Count);

        await Feed(chunks.Skip(6), end: true);
        Log("second half applied");
        await AllAgree(agents, survivors, Log);
        var full = await steady.TreeAsync();

        await steady.StopAsync();
        var stopped = Stopwatch.StartNew();
        Log("agent 'steady' stopped");
        await Eventually.Until(async () =>
        {
            foreach (var a in survivors)
                if ((await a.GetAsync<HostSummary>("/api/hosts/steady")).Status != HostStatus.Down) return false;
            return true;
        }, TimeSpan.FromSeconds(40), "'steady' down on every aggregator"); // stale first: it might be restarting (RestartGrace 15 s)
        Log($"'steady' down everywhere after {stopped.Elapsed.TotalSeconds:0.0}s");
        var steadyHost = await agg2.GetAsync<HostSummary>("/api/hosts/steady");
        Assert.Equal("agent disconnected", steadyHost.StatusReason);
        Assert.Equal(HostStatus.Up, (await agg1.GetAsync<HostSummary>("/api/hosts/lossy")).Status);
        Assert.Equal(Corpus.Fingerprint(full), Corpus.Fingerprint((await agg1.TreeAsync("steady"))!)); // kept while down
    }

    private static async Task AllAgree(AgentNode[] agents, AggregatorNode[] aggregators, Action<string> log)
    {
        foreach (var agent in agents)
        {
            var expected = await agent.TreeAsync();
            foreach (var agg in aggregators)
            {
                HostTree? last = null;
                try
                {
                    await Eventually.Until(async () =>
                    {
                        last = await agg.TreeAsync(agent.HostName);
                        // The tree comes from the host's entity, the host list from this member's directory, which
                        // the entity's publications reach a moment later (pub-sub): both, before anything is killed.
                        return last is not null && Corpus.Fingerprint(last) == Corpus.Fingerprint(expected)
                               && agg.Directory.Get(agent.HostName) is not null;
                    }, Converge, $"{agg.Address} serves {agent.HostName}'s tree and lists the host");
                }
                catch (TimeoutException e)
                {
                    throw new Xunit.Sdk.XunitException($"{e.Message}: {Corpus.Diff(expected, last)}");
                }
            }
            log($"{agent.HostName}: {expected.Processes.Length} processes, {expected.Containers.Length} containers, same on {aggregators.Length} aggregators");
        }
    }
}
