namespace Godo.Agent.Tests.Corpus;

/// <summary>
/// Our own captures (corpus-workloads/): threads and exec from threads, vfork, i386, daemons, zombies, huge and
/// non-ASCII arguments, parallel containers, host kill -9, docker restart, and (signal-deaths, recorded with the reap
/// rules) deaths by SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, timeout, crashes and the OOM killer. Same comparison
/// as docker-basic.
/// </summary>
public sealed class RecordedCorpusTests
{
    [Theory]
    [InlineData("threads-exec")]
    [InlineData("daemons-args")]
    [InlineData("fleet-churn")]
    [InlineData("signal-deaths")]
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

    /// <summary>
    /// The signal deaths are seen through the reaps and core dumps the new rules log, not by luck: the same log
    /// without those records (what the old rules recorded) leaves the killed processes in the tree.
    /// </summary>
    [Fact]
    public async Task Signal_deaths_are_seen_only_through_the_reap_and_crash_records()
    {
        var dir = CorpusCheckpoints.DataDir("signal-deaths");
        var expected = CorpusCheckpoints.LoadSnapshots(dir);
        var lines = await File.ReadAllLinesAsync(Path.Combine(dir, "audit.log"));
        var observable = CorpusCheckpoints.PidsInLog(string.Join('\n', lines));

        var (withRecords, replay) = await Run(lines);
        Assert.True(withRecords.All(r => r.Ok), CorpusCheckpoints.Describe(withRecords.Where(r => !r.Ok)));
        Assert.True(replay.Tree.Stats.Reaps >= 8, $"reaps {replay.Tree.Stats.Reaps}");
        Assert.True(replay.Tree.Stats.Crashes >= 2, $"crashes {replay.Tree.Stats.Crashes}");

        bool DeathRecord(string l) => l.StartsWith("type=ANOM_ABEND", StringComparison.Ordinal)
            || l.StartsWith("type=SYSCALL", StringComparison.Ordinal) && (l.Contains(" syscall=61 ") || l.Contains(" syscall=247 "));
        var reapSerials = lines.Where(DeathRecord).Select(Serial).ToHashSet();
        var (without, _) = await Run(lines.Where(l => !reapSerials.Contains(Serial(l))).ToArray());
        var phantoms = without.SelectMany(r => r.Extra).ToList();
        foreach (var killed in new[] { "501001", "501002", "502001", "502002", "502003", "508001", "505001", "505002" })
            Assert.Contains(phantoms, p => p.Contains($"\"{killed}\""));

        async Task<(List<CorpusCheckpoints.Result>, Godo.Agent.Replay.SyncReplay)> Run(string[] log)
        {
            using var input = new MemoryStream(System.Text.Encoding.Latin1.GetBytes(string.Join('\n', log) + "\n"));
            return await CorpusCheckpoints.RunAsync(input, expected, observable);
        }
    }

    /// <summary>
    /// `godo replay --until` (the actor pipeline) at each checkpoint: a wait's record carries its entry time, so one
    /// logged after the checkpoint for a death after it must not be applied although that time is before it.
    /// </summary>
    [Fact]
    public async Task Signal_deaths_replayed_until_each_checkpoint_through_the_actors_match_the_snapshots()
    {
        var dir = CorpusCheckpoints.DataDir("signal-deaths");
        var expected = CorpusCheckpoints.LoadSnapshots(dir);
        var path = Path.Combine(dir, "audit.log");
        var observable = CorpusCheckpoints.PidsInLog(await File.ReadAllTextAsync(path));
        await using var sync = File.OpenRead(path);
        var (checkpoints, _) = await CorpusCheckpoints.RunAsync(sync, expected, observable);
        var failures = new List<string>();
        foreach (var cp in checkpoints)
        {
            await using var input = File.OpenRead(path);
            var tree = await Godo.Agent.Replay.ReplayRunner.RunAsync(input,
                new Godo.Agent.Replay.ReplayOptions { HostName = "corpus", UntilMs = cp.TimeMs }, new Godo.Agent.Pipeline.PipelineStats());
            var actual = tree.Processes.Where(p => p.Container is not null)
                .Select(p => new CorpusCheckpoints.Expected(p.Pid, p.Ppid, p.Container!, System.Text.Json.JsonSerializer.Serialize(p.Argv.ToArray())))
                .ToHashSet();
            var want = expected[cp.Checkpoint].Where(x => observable.Contains(x.Pid)).ToHashSet();
            if (!want.SetEquals(actual))
                failures.Add($"{cp.Checkpoint}: missing [{string.Join("; ", want.Except(actual))}] extra [{string.Join("; ", actual.Except(want))}]");
        }
        Assert.Equal(expected.Count, checkpoints.Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Serial(string line)
    {
        var start = line.IndexOf(':', line.IndexOf("msg=audit(", StringComparison.Ordinal));
        return line[(start + 1)..line.IndexOf(')', start)];
    }
}
