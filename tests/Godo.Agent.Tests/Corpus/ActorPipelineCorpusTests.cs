using System.Text.Json;
using System.Text.RegularExpressions;
using Godo.Agent.Pipeline;
using Godo.Agent.Replay;

namespace Godo.Agent.Tests.Corpus;

/// <summary>
/// `godo replay --until`: the docker-basic log through the actor pipeline (feeder, serial router, pooled assemblers,
/// tree actor), stopped at each checkpoint marker's event time, gives the snapshot's container processes.
/// </summary>
public sealed partial class ActorPipelineCorpusTests
{
    [GeneratedRegex(@"^type=EXECVE msg=audit\((\d+)\.(\d{3}):\d+\): argc=\d+ a0=\S+ a1=""godo-checkpoint-([^""]+)""")]
    private static partial Regex Marker();

    private static readonly string Dir = CorpusCheckpoints.DataDir("docker-basic");

    /// <summary>Checkpoint name → the marker's event time, read straight from the log text.</summary>
    private static readonly Lazy<Dictionary<string, long>> Markers = new(() =>
        File.ReadLines(Path.Combine(Dir, "audit.log"))
            .Select(l => Marker().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups[3].Value, m => long.Parse(m.Groups[1].Value) * 1000 + long.Parse(m.Groups[2].Value)));

    private static readonly Lazy<Dictionary<string, HashSet<CorpusCheckpoints.Expected>>> Snapshots = new(() => CorpusCheckpoints.LoadSnapshots(Dir));

    public static TheoryData<string> Checkpoints()
    {
        var data = new TheoryData<string>();
        foreach (var name in CorpusCheckpoints.LoadSnapshots(CorpusCheckpoints.DataDir("docker-basic")).Keys.Order()) data.Add(name);
        return data;
    }

    [Fact]
    public void Every_snapshot_has_a_marker_in_the_log()
    {
        Assert.Equal(Snapshots.Value.Keys.Order(), Markers.Value.Keys.Order());
        Assert.Equal(10, Markers.Value.Count);
    }

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task Replay_until_the_marker_gives_the_snapshots_container_processes(string checkpoint)
    {
        var until = Markers.Value[checkpoint];
        var stats = new PipelineStats();
        await using var input = File.OpenRead(Path.Combine(Dir, "audit.log"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var tree = await ReplayRunner.RunAsync(input, new ReplayOptions { HostName = "corpus", UntilMs = until }, stats, cts.Token);

        var actual = tree.Processes.Where(p => p.Container is not null)
            .Select(p => new CorpusCheckpoints.Expected(p.Pid, p.Ppid, p.Container!, JsonSerializer.Serialize(p.Argv.ToArray())))
            .ToHashSet();
        var want = Snapshots.Value[checkpoint];
        Assert.True(want.SetEquals(actual),
            $"{checkpoint}: missing [{string.Join("; ", want.Except(actual))}] extra [{string.Join("; ", actual.Except(want))}]");
        Assert.Equal(until, tree.AsOf.ToUnixTimeMilliseconds());
        Assert.Equal(0, stats.Malformed);
        Assert.Equal(0, stats.MalformedEvents);
        Assert.All(tree.Processes, p => Assert.True(p.StartedAt!.Value.ToUnixTimeMilliseconds() <= until));
        // The containers the tree reports running are exactly those holding the snapshot's processes.
        Assert.Equal(want.Select(e => e.Container).Distinct().Order(), tree.Containers.Where(c => c.ProcessCount > 0).Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Full_replay_through_the_actors_equals_the_synchronous_replay()
    {
        var stats = new PipelineStats();
        await using (var input = File.OpenRead(Path.Combine(Dir, "audit.log")))
        {
            var tree = await ReplayRunner.RunAsync(input, new ReplayOptions { HostName = "corpus" }, stats);
            var sync = new SyncReplay();
            await using var again = File.OpenRead(Path.Combine(Dir, "audit.log"));
            await sync.RunAsync(again);
            sync.Tree.Advance(tree.AsOf.ToUnixTimeMilliseconds());
            string Key(int pid, int ppid, string? container, IEnumerable<string> argv) => $"{pid}/{ppid}/{container}/{string.Join('\0', argv)}";
            Assert.Equal(
                sync.Tree.AliveNodes.Select(n => Key(n.Pid, n.Ppid, n.Container, n.Argv)).Order(),
                tree.Processes.Select(p => Key(p.Pid, p.Ppid, p.Container, p.Argv)).Order());
            Assert.Equal(sync.Stats.Events, stats.Events);
            Assert.Equal(sync.Stats.Records, stats.Records);
        }
    }
}
