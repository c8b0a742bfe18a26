using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Godo.Messages.Wire;

public enum FeedEventKind { Exec = 0, Exit = 1 }

/// <summary>
/// One exec or exit the agent's tree applied, as it applied it: <see cref="At"/> is the kernel's event time (the
/// audit record's, or the process events connector's), <see cref="ReceivedAt"/> the agent's clock when it applied it.
/// <see cref="Seq"/> numbers the feed of one incarnation without holes, in event-time order.
/// </summary>
public sealed record FeedEvent
{
    public FeedEventKind Kind { get; init; }
    public long Seq { get; init; }
    public DateTimeOffset At { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
    public int Pid { get; init; }
    public int Ppid { get; init; }
    public string? Exe { get; init; }
    /// <summary>At most <see cref="FeedLimits.ArgvChars"/> characters of argv; <see cref="ArgvTruncated"/> says when more was left out.</summary>
    public ImmutableArray<string> Argv { get; init; } = [];
    public bool ArgvTruncated { get; init; }
    public int? Uid { get; init; }
    public string? Container { get; init; }
    /// <summary>Exits: the status given to exit_group, or decoded from the connector's wait status.</summary>
    public int? ExitCode { get; init; }
    /// <summary>Exits: the killing signal, when known.</summary>
    public int? Signal { get; init; }
    /// <summary>Exits: how the death became known (see <see cref="ExitCauses"/>).</summary>
    public string? Cause { get; init; }
}

/// <summary>How an exit became known to the tree.</summary>
public static class ExitCauses
{
    public const string ExitGroup = "exit";
    public const string Killed = "killed";
    public const string Reaped = "reaped";
    public const string Crashed = "crashed";
    public const string Reported = "exit-reported";
    public const string Teardown = "teardown";
    public const string PidReused = "pid-reused";
    public const string Proc = "proc";
}

/// <summary>
/// A host's feed events since the previous batch, in event-time order, numbered from <see cref="First"/>. A receiver
/// that expected a smaller <see cref="First"/> lost batches on the way; <see cref="Dropped"/> counts events the agent
/// itself could not keep (its feed buffer was full) since the previous batch.
/// </summary>
public sealed record HostFeed(string Host, string Incarnation, long First, ImmutableArray<FeedEvent> Events, long Dropped = 0) : IHostMessage
{
    [JsonIgnore] public long Next => First + (Events.IsDefault ? 0 : Events.Length);
}

/// <summary>The feed's own bounds, applied alike where events are made (agent) and where they arrive (aggregator).</summary>
public static class FeedLimits
{
    /// <summary>argv kept per feed event, in characters (the tree keeps its own, larger cap).</summary>
    public const int ArgvChars = 4096;

    /// <summary>The first <paramref name="maxChars"/> characters of argv, whole arguments first, the last one cut.</summary>
    public static ImmutableArray<string> Cap(ImmutableArray<string> argv, int maxChars, out bool truncated)
    {
        truncated = false;
        if (argv.IsDefault) return [];
        var total = 0;
        for (var i = 0; i < argv.Length; i++)
        {
            var a = argv[i];
            if (total + a.Length <= maxChars) { total += a.Length; continue; }
            truncated = true;
            var b = ImmutableArray.CreateBuilder<string>(i + 1);
            for (var j = 0; j < i; j++) b.Add(argv[j]);
            if (maxChars - total > 0) b.Add(a[..(maxChars - total)]);
            return b.ToImmutable();
        }
        return argv;
    }

    /// <summary>What an event costs in memory, roughly (UTF-16 strings and object overhead): the unit of every feed bound.</summary>
    public static long Size(FeedEvent e)
    {
        long size = 160 + 2L * ((e.Exe?.Length ?? 0) + (e.Container?.Length ?? 0) + (e.Cause?.Length ?? 0));
        if (!e.Argv.IsDefault) foreach (var a in e.Argv) size += 32 + 2L * a.Length;
        return size;
    }
}
