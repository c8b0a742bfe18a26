using System.Collections.Immutable;
using System.Text.Json;
using Godo.Agent.Replay;
using Godo.Messages.Model;

namespace Godo.Cli.Output;

/// <summary>
/// Compiles a replay's output code (System.Text.Json's generic code for the tree document, or the text renderer) on the
/// pool while the replay starts: the JIT's tenth of a second then runs beside the actor system's start-up instead of
/// after the last record, where it was the whole tail of the run. The sample tree's output is thrown away.
/// </summary>
public static class TreeOutputWarmUp
{
    public static void Start(bool json) => Task.Run(() =>
    {
        var sample = Sample();
        if (json) _ = JsonSerializer.Serialize(sample, ReplayJsonContext.Default.HostTree);
        else _ = TreeRenderer.Render(sample);
        ReplayTimeline.Mark("output code compiled");
    });

    /// <summary>Every member set, so every property's writer is compiled.</summary>
    private static HostTree Sample()
    {
        var at = DateTimeOffset.UnixEpoch;
        return new HostTree
        {
            Host = "warm-up",
            AsOf = at,
            EventTime = at,
            Processes =
            [
                new ProcessInfo { Pid = 1, Ppid = 0, Comm = "init", Exe = "/sbin/init", Argv = ["/sbin/init"], Cwd = "/", Uid = 0, User = "root", StartedAt = at },
                new ProcessInfo
                {
                    Pid = 2, Ppid = 1, Comm = "sh", Exe = "/bin/sh", Argv = ["sh", "-c", "x"], ArgvTruncated = true, ArgvBytes = 9, ArgvCount = 3,
                    Cwd = "/", Uid = 1000, Container = "c", NsPid = 1, StartedAt = at, ExitedAt = at,
                },
            ],
            Containers = [new ContainerInfo { Id = "c", Name = "n", Image = "i", InitPid = 2, ShimPid = 1, ProcessCount = 1, State = "running", StartedAt = at, Labels = ImmutableDictionary<string, string>.Empty.Add("k", "v") }],
            Stats = ImmutableSortedDictionary<string, long>.Empty.Add("records", 1),
        };
    }
}
