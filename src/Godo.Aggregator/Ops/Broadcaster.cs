using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Godo.Aggregator.Ops;

/// <summary>
/// Fans values out to live subscribers (SSE clients). Each subscriber has a bounded queue that drops its oldest
/// entries when the client is slow, so a stuck client never holds memory or slows the ingest actor down.
/// </summary>
public sealed class Broadcaster<T>(int perSubscriberCapacity = 10_000)
{
    private readonly ConcurrentDictionary<Channel<T>, byte> _subscribers = new();

    public void Publish(T value)
    {
        foreach (var ch in _subscribers.Keys) ch.Writer.TryWrite(value);
    }

    public Subscription Subscribe()
    {
        var ch = Channel.CreateBounded<T>(new BoundedChannelOptions(perSubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false,
        });
        _subscribers[ch] = 0;
        return new Subscription(ch, () => _subscribers.TryRemove(ch, out _));
    }

    public sealed class Subscription(Channel<T> channel, Action unsubscribe) : IDisposable
    {
        public ChannelReader<T> Reader => channel.Reader;
        public void Dispose() { unsubscribe(); channel.Writer.TryComplete(); }
    }
}
