namespace Godo.Agent.Tests.Corpus;

public sealed class DockerBasicCorpusTests
{
    [Fact]
    public async Task Every_checkpoint_matches_the_proc_snapshot()
    {
        var dir = CorpusCheckpoints.DataDir("docker-basic");
        var expected = CorpusCheckpoints.LoadSnapshots(dir);
        await using var input = File.OpenRead(Path.Combine(dir, "audit.log"));
        var (results, replay) = await CorpusCheckpoints.RunAsync(input, expected);

        foreach (var r in results) Console.WriteLine($"{r.Checkpoint} expected={r.ExpectedCount} ok={r.Ok}");
        Assert.Equal(expected.Count, results.Count); // every checkpoint marker was found and compared
        Assert.True(results.All(r => r.Ok), CorpusCheckpoints.Describe(results.Where(r => !r.Ok)));
        Assert.True(results.Sum(r => r.ExpectedCount) > 20, "the snapshots hold container processes to compare");
        Assert.Equal(0, replay.Stats.Malformed);
    }
}
