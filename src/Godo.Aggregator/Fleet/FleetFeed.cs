using Godo.Aggregator.Ops;
using Godo.Messages.Api;

namespace Godo.Aggregator.Fleet;

/// <summary>Bounds of the aggregator's event feed, in bytes (by <see cref="FleetFeed.Size"/>).</summary>
public sealed record FeedOptions
{
    /// <summary>What one event-stream client may have queued before it is cut off with an <c>overflow</c> event.</summary>
    public long ClientBytes { get; init; } = 4L * 1024 * 1024;
    /// <summary>The recent history kept for clients that ask for it (<c>?recent=N</c>).</summary>
    public long HistoryBytes { get; init; } = 4L * 1024 * 1024;
    /// <summary>How long a client that was cut off gets to read the rest and its <c>overflow</c> event before it is disconnected.</summary>
    public TimeSpan OverflowGrace { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The fleet's events on their way to clients: fanned out to every event stream, and kept in a short history bounded
/// in bytes (the oldest go first). The ingest actor publishes; requests subscribe.
/// </summary>
public sealed class FleetFeed
{
    private readonly Queue<(FleetEvent Event, long Bytes)> _history = new();
    private readonly object _gate = new();
    private long _historyBytes;

    public FleetFeed(FeedOptions options)
    {
        Options = options;
        Live = new Broadcaster<FleetEvent>(options.ClientBytes, Size);
    }

    public FeedOptions Options { get; }
    public Broadcaster<FleetEvent> Live { get; }

    public void Publish(FleetEvent e)
    {
        var bytes = Size(e);
        lock (_gate)
        {
            _history.Enqueue((e, bytes));
            _historyBytes += bytes;
            while (_historyBytes > Options.HistoryBytes && _history.TryDequeue(out var old)) _historyBytes -= old.Bytes;
            Live.Publish(e);
        }
    }

    /// <summary>A new subscription, and the <paramref name="recent"/> latest events that pass <paramref name="filter"/> just before it (oldest first).</summary>
    public (Broadcaster<FleetEvent>.Subscription Subscription, IReadOnlyList<FleetEvent> Recent) Subscribe(int recent, Func<FleetEvent, bool> filter)
    {
        lock (_gate)
        {
            var list = new List<FleetEvent>();
            if (recent > 0)
                foreach (var (e, _) in _history.Reverse())
                {
                    if (!filter(e)) continue;
                    list.Add(e);
                    if (list.Count == recent) break;
                }
            list.Reverse();
            return (Live.Subscribe(), list);
        }
    }

    /// <summary>What an event holds in memory, roughly (UTF-16 strings and object overhead).</summary>
    public static long Size(FleetEvent e)
    {
        long size = 200 + 2L * ((e.Host?.Length ?? 0) + (e.Exe?.Length ?? 0) + (e.Container?.Length ?? 0) + (e.ContainerName?.Length ?? 0)
                                + (e.Image?.Length ?? 0) + (e.Reason?.Length ?? 0) + (e.Cause?.Length ?? 0));
        if (!e.Argv.IsDefault) foreach (var a in e.Argv) size += 32 + 2L * a.Length;
        return size;
    }
}
