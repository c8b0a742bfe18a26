namespace Godo.Agent.Tests.Corpus;

/// <summary>
/// Our own captures (corpus-workloads/): threads and exec from threads, vfork, i386, daemons, zombies, huge and
/// non-ASCII arguments, parallel containers, host kill -9, docker restart. Same comparison as docker-basic.
/// </summary>
public sealed class RecordedCorpusTests
{
    [Theory]
    [InlineData("threads-exec")]
    [InlineData("daemons-args")]
    [InlineData("fleet-churn")]
    public async Task Every_checkpoint_matches_the_proc_snapshot(string corpus)
    {
        var dir = CorpusCheckpoints.DataDir(corpus);
        var expected = CorpusCheckpoints.LoadSnapshots(dir);
        var log = await File.ReadAllTextAsync(Path.Combine(dir, "audit.log"));
        var observable = CorpusCheckpoints.PidsInLog(log);
        await using var input = File.OpenRead(Path.Combine(dir, "audit.log"));
        var (results, replay) = await CorpusCheckpoints.RunAsync(input, expected, observable);

        Assert.Equal(expected.Count, results.Count);
        Assert.True(results.All(r => r.Ok), CorpusCheckpoints.Describe(results.Where(r => !r.Ok)));
        // The log alone cannot show a process whose host pid it never mentions; there must be very few.
        var unobservable = results.SelectMany(r => r.Unobservable).Distinct().ToList();
        Assert.True(unobservable.Count <= 1, "unobservable from the log: " + string.Join("; ", unobservable));
        Assert.Equal(0, replay.Stats.Malformed);
    }
}
