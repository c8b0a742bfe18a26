using System.Diagnostics;
using Godo.Aggregator.Storage;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.Hosts;

/// <summary>
/// Issue 11's cluster: 3 aggregators on loopback sharing a real PostgreSQL journal, 24 hosts fed through a real
/// ClusterClient. The hosts spread over the members; a member crashes (no leave: as kill -9 to the cluster) and its hosts
/// answer again from the others with their trees; the whole cluster restarts with no agent left, and every host's last
/// tree is recovered from the journal.
/// </summary>
public sealed class ShardedHostsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    private readonly SharedPostgres _db = new();
    private readonly List<AggregatorNode> _nodes = [];

    public Task InitializeAsync() => _db.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<AggregatorNode[]> StartClusterAsync()
    {
        // Crash-able: the ActorSystem ends without CoordinatedShutdown (no leave), as a killed process's would.
        var settings = new AggregatorSettings
        {
            Storage = new StorageSettings { Journal = _db.Url },
            ExtraHocon = "akka.coordinated-shutdown.run-by-actor-system-terminate = off",
        };
        var first = await AggregatorNode.StartAsync(settings);
        var nodes = new[] { first, await AggregatorNode.StartAsync(settings, first.Address), await AggregatorNode.StartAsync(settings, first.Address) };
        _nodes.AddRange(nodes);
        foreach (var n in nodes) await n.WaitUpAsync(3, Converge);
        return nodes;
    }

    private static async Task<bool> ServesTree(AggregatorNode node, string host)
    {
        var tree = await node.TreeAsync(host);
        return tree is not null && Shape(tree.Processes) == Shape(SimulatedFleet.Tree(host));
    }

    private static string Shape(IEnumerable<ProcessInfo> processes) =>
        string.Join(",", processes.OrderBy(p => p.Pid).Select(p => $"{p.Pid}<{p.Ppid}:{string.Join(' ', p.Argv)}"));


    [Fact]
    public async Task Hosts_spread_over_three_members_survive_a_crashed_member_and_a_restart_of_the_whole_cluster()
    {
        var clock = Stopwatch.StartNew();
        void Log(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s {what}");
        var hosts = Enumerable.Range(1, 24).Select(i => $"sim-{i:00}").ToList();

        var nodes = await StartClusterAsync();
        Log("3 aggregators up on one PostgreSQL");
        await using (var fleet = await SimulatedFleet.StartAsync(nodes.Select(n => n.Address), hosts))
        {
            await Eventually.Until(() => Task.FromResult(nodes.Sum(n => n.Fleet.Count) == hosts.Count && nodes.All(n => n.Directory.Count == hosts.Count)),
                Converge, "every host held once, and in every member's directory");
            Log($"hosts held: {string.Join(", ", nodes.Select(n => n.Fleet.Count))}");
            // Each member holds some (about a third). A member whose region registered with the coordinator after the
            // first hosts came gets its share from the coordinator's rebalancing (every 10 s, a few shards at a time).
            await Eventually.Until(() => Task.FromResult(nodes.All(n => n.Fleet.Count > 0) && nodes.Sum(n => n.Fleet.Count) == hosts.Count),
                TimeSpan.FromSeconds(90), "every member holds some hosts");
            var held = nodes.Select(n => n.Fleet.Hosts).ToList();
            Log($"hosts held after rebalancing: {string.Join(", ", held.Select(h => h.Count))}");
            Assert.Equal(hosts, held.SelectMany(h => h).Order(StringComparer.Ordinal).ToList());
            foreach (var host in hosts) Assert.True(await ServesTree(nodes[0], host), $"{host}'s tree from the first member");
            var summaries = await nodes[1].GetAsync<List<HostSummary>>("/api/hosts");
            Assert.Equal(hosts, summaries.Select(s => s.Host).ToList());
            Assert.All(summaries, s => Assert.Contains(s.HeldBy, nodes.Select(n => n.Address.ToString())));

            // Crash the member with the most hosts: they answer again from the others, with their trees.
            var victim = nodes.OrderByDescending(n => n.Fleet.Count).First();
            var moved = victim.Fleet.Hosts;
            var survivors = nodes.Where(n => n != victim).ToArray();
            await victim.CrashAsync();
            var crashed = Stopwatch.StartNew();
            Log($"crashed {victim.Address}, holding {moved.Count} hosts");
            await Eventually.Until(async () =>
            {
                foreach (var host in moved)
                    if (!await ServesTree(survivors[0], host)) return false;
                return true;
            }, Converge, "the crashed member's hosts served again by the others");
            Log($"its hosts answer again after {crashed.Elapsed.TotalSeconds:0.0}s");
            await Eventually.Until(() => Task.FromResult(survivors.Sum(n => n.Fleet.Count) == hosts.Count), Converge, "every host held by the survivors");
            foreach (var host in hosts) Assert.True(await ServesTree(survivors[1], host), $"{host}'s tree from a survivor");
            await Eventually.Until(async () => (await survivors[0].GetAsync<List<HostSummary>>("/api/hosts")).All(h => h.Status == HostStatus.Up),
                Converge, "every host up again (the agents' heartbeats reach the moved entities)");
        }
        Log("fleet stopped");

        // The whole cluster stops; a new one on the same journal recovers every host's last tree (stale: no agent speaks).
        foreach (var n in _nodes) await n.DisposeAsync();
        _nodes.Clear();
        nodes = await StartClusterAsync();
        Log("a new cluster of 3 on the same journal");
        await Eventually.Until(async () =>
        {
            foreach (var host in hosts)
                if (!await ServesTree(nodes[2], host)) return false;
            return true;
        }, Converge, "every host's tree recovered");
        // Asked, each entity recovered and told the directory: it lists every host, none up.
        await Eventually.Until(() => Task.FromResult(nodes[0].Directory.Count == hosts.Count), Converge, "every host back in the directory");
        Assert.All(await nodes[0].GetAsync<List<HostSummary>>("/api/hosts"), h => Assert.NotEqual(HostStatus.Up, h.Status));
        Log("every host recovered from the journal");
    }
}
