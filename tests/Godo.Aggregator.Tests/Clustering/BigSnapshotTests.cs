using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Godo.Agent.Proc;
using Godo.Agent.Tree;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Model;
using Xunit.Abstractions;

namespace Godo.Aggregator.Tests.Clustering;

/// <summary>
/// Issue 13: a host's tree bigger than Akka's frame (32 MiB) arrives whole, in acked pieces. A real agent (tree actor
/// and publisher, remoting over loopback) holds 20,000 processes with 10 KB of argv each, about 200 MB; real
/// aggregators in this process, one of which restarts where the agent knows it. Alone: it holds a few hundred MB
/// and two cores' worth of JSON, and other tests' timings should not share the machine with it.
/// </summary>
[Collection(nameof(BigSnapshotTests))]
public sealed class BigSnapshotTests(ITestOutputHelper output)
{
    private const int Processes = 20_000;
    private const int ArgvBytes = 10_000;
    // Generous: a loaded CI machine moves these 200 MB many times slower than a quiet one.
    private static readonly TimeSpan Arrive = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task A_host_with_200_MB_of_argv_arrives_whole_and_capped_at_a_restarted_aggregator()
    {
        var clock = Stopwatch.StartNew();
        void Log(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s {what}");
        var restartPort = GodoProcess.FreePort();

        AggregatorNode? first = await AggregatorNode.StartAsync(new AggregatorSettings { Caps = ProcessCaps.ArgvOff });
        var restartAt = Address.Parse($"akka.tcp://godo@127.0.0.1:{restartPort}");
        await using var agent = await AgentNode.StartAsync("big-host", [first.Address, restartAt], caps: ProcessCaps.ArgvOff);
        agent.Tree.Tell(new TreeProtocol.Seed(SyntheticProc()));
        var expected = await agent.TreeAsync();
        Assert.Equal(Processes + 1, expected.Processes.Length);
        var argvBytes = expected.Processes.Sum(p => p.Argv.Sum(a => (long)a.Length + 1));
        Log($"agent holds {expected.Processes.Length} processes, {argvBytes / 1e6:0} MB of argv");
        Assert.True(argvBytes > 200_000_000, $"{argvBytes} bytes of argv");

        // Caps off on both sides: all 200 MB cross, in pieces (the first snapshot, or the changes' overflow of the
        // agent's buffer and the snapshot after it, as the seed and the publisher's subscription race).
        await Eventually.Until(() => Task.FromResult(first!.Fleet.Get("big-host")?.ProcessCount == Processes + 1), Arrive, "the whole tree at the first aggregator");
        Log("the first aggregator has the whole tree");
        AssertSameTree(expected.Processes, first.Fleet.Get("big-host")!.ToTree().Processes); // the API's below, for the restarted one
        Log("its tree equals the agent's");
        var counters = await agent.CountersAsync();
        Log($"publisher: {counters}");
        Assert.True(counters.Chunks >= 150, $"{counters.Chunks} pieces for 200 MB");

        await first.CrashAsync();
        await first.DisposeAsync();
        first = null; // its 400 MB of strings go before the next aggregator's come
        GC.Collect();
        Log("first aggregator gone");

        // It comes back where the agent knows it, capping argv at 4 KiB: a restarted aggregator asks for the tree, and
        // applies its own cap whatever the agent sends.
        var cap = new ProcessCaps { ArgvBytes = 4096 };
        await using var restarted = await AggregatorNode.StartAsync(new AggregatorSettings { RemotePort = restartPort, Caps = cap });
        await Eventually.Until(() => Task.FromResult(restarted.Fleet.Get("big-host")?.ProcessCount == Processes + 1), Arrive, "the whole tree at the restarted aggregator");
        Log("the restarted aggregator has the whole tree");
        var capped = (await ApiTree(restarted)).Processes;
        AssertSameTree([.. expected.Processes.Select(cap.Apply)], capped);
        Assert.Equal(Processes, capped.Count(p => p.ArgvTruncated && p.ArgvBytes > ArgvBytes && p.ArgvCount == 3));
        Log("its API tree equals the agent's, capped");
        var after = await agent.CountersAsync();
        Assert.True(after.Snapshots > counters.Snapshots, "a new snapshot for the restarted aggregator");
        Assert.Equal(0, restarted.Metrics.SnapshotsAbandoned.Value);
        Log($"publisher: {after}; test process {File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM"))}");
    }

    /// <summary>A /proc of init and 20,000 sleeping workers, each with about 10 KB of argv of its own.</summary>
    private static ProcSnapshot SyntheticProc()
    {
        var boot = DateTimeOffset.UtcNow.AddHours(-1);
        var filler = new string('a', ArgvBytes);
        var list = ImmutableArray.CreateBuilder<ProcEntry>(Processes + 1);
        list.Add(new ProcEntry { Pid = 1, Ppid = 0, Comm = "init", Exe = "/sbin/init", Argv = ["/sbin/init"], StartTicks = 1, StartedAt = boot, State = 'S' });
        for (var i = 0; i < Processes; i++)
            list.Add(new ProcEntry
            {
                Pid = 100 + i, Ppid = 1, Comm = "worker", Exe = "/usr/bin/worker", Cwd = "/srv", Uid = 1000,
                // The big argument is shared in the agent (cheap for the test) but crosses the wire once per process.
                Argv = ["worker", $"--id={i:D6}", filler], StartTicks = (ulong)(100 + i), StartedAt = boot.AddSeconds(i % 3600), State = 'S',
            });
        return new ProcSnapshot(DateTimeOffset.UtcNow, boot, list.MoveToImmutable());
    }

    private static async Task<HostTree> ApiTree(AggregatorNode node)
    {
        using var resp = await node.Http.GetAsync("/api/hosts/big-host/tree", HttpCompletionOption.ResponseHeadersRead);
        resp.EnsureSuccessStatusCode();
        await using var body = await resp.Content.ReadAsStreamAsync();
        return (await JsonSerializer.DeserializeAsync(body, GodoJsonContext.Default.HostTree))!;
    }

    private static void AssertSameTree(ImmutableArray<ProcessInfo> expected, ImmutableArray<ProcessInfo> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var byPid = actual.ToDictionary(p => p.Pid);
        foreach (var e in expected)
        {
            var a = byPid[e.Pid];
            Assert.Equal((e.Ppid, e.Comm, e.Exe, e.Cwd, e.Uid, e.StartedAt), (a.Ppid, a.Comm, a.Exe, a.Cwd, a.Uid, a.StartedAt));
            Assert.Equal((e.ArgvTruncated, e.ArgvBytes, e.ArgvCount), (a.ArgvTruncated, a.ArgvBytes, a.ArgvCount));
            Assert.True(e.Argv.SequenceEqual(a.Argv), $"argv of {e.Pid}");
        }
    }
}

[CollectionDefinition(nameof(BigSnapshotTests), DisableParallelization = true)]
public sealed class BigSnapshotCollection;
