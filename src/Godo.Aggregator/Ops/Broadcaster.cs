using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Godo.Aggregator.Ops;

/// <summary>
/// Fans values out to live subscribers (SSE clients). Each subscriber's queue is bounded in bytes (by
/// <paramref name="size"/>, an estimate of what a value holds in memory): a client that falls that far behind is cut
/// off (<see cref="Subscription.Overflowed"/>) and what it had queued is let go at once, so a stuck client never holds
/// more than the bound, and never slows the publisher down.
/// </summary>
public sealed class Broadcaster<T>(long perSubscriberBytes, Func<T, long> size)
{
    private readonly ConcurrentDictionary<Subscription, byte> _subscribers = new();
    private long _overflows, _peakBytes;

    public long PerSubscriberBytes => perSubscriberBytes;
    /// <summary>Subscribers cut off since the start.</summary>
    public long Overflows => Interlocked.Read(ref _overflows);
    public int Count => _subscribers.Count;
    /// <summary>The most any one subscriber ever had queued: never more than the bound.</summary>
    public long PeakQueuedBytes => Interlocked.Read(ref _peakBytes);

    private void NoteQueued(long bytes)
    {
        for (var peak = Interlocked.Read(ref _peakBytes); bytes > peak; peak = Interlocked.Read(ref _peakBytes))
            if (Interlocked.CompareExchange(ref _peakBytes, bytes, peak) == peak) return;
    }

    public void Publish(T value)
    {
        if (_subscribers.IsEmpty) return;
        var bytes = size(value);
        foreach (var s in _subscribers.Keys)
            if (s.Offer(value, bytes)) Interlocked.Increment(ref _overflows);
    }

    public Subscription Subscribe()
    {
        var s = new Subscription(this);
        _subscribers[s] = 0;
        return s;
    }

    public sealed class Subscription : IDisposable
    {
        private readonly Broadcaster<T> _owner;
        private readonly Channel<(T Value, long Bytes)> _queue = Channel.CreateUnbounded<(T, long)>(new UnboundedChannelOptions
        {
            SingleReader = false, SingleWriter = false, // the publisher empties the queue of a client it cuts off
        });
        private readonly TaskCompletionSource _overflowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _bytes, _dropped;
        private volatile bool _disposed;

        internal Subscription(Broadcaster<T> owner) => _owner = owner;

        /// <summary>Bytes queued now (by the broadcaster's estimate).</summary>
        public long Bytes => Interlocked.Read(ref _bytes);
        /// <summary>Values this subscriber will never get: offered after it was cut off, or queued when it was.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);
        public bool Overflowed => _overflowed.Task.IsCompleted;
        /// <summary>Completes when the subscriber is cut off.</summary>
        public Task WhenOverflowed => _overflowed.Task;

        /// <summary>Queues a value; true when this one cut the subscriber off.</summary>
        internal bool Offer(T value, long bytes)
        {
            if (_disposed) return false; // a publish racing the client's goodbye
            if (Overflowed) { Interlocked.Increment(ref _dropped); return false; }
            var queued = Interlocked.Add(ref _bytes, bytes);
            if (queued <= _owner.PerSubscriberBytes && _queue.Writer.TryWrite((value, bytes)))
            {
                _owner.NoteQueued(queued);
                return false;
            }
            Interlocked.Add(ref _bytes, -bytes);
            Interlocked.Increment(ref _dropped);
            if (!_overflowed.TrySetResult()) return false;
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                Interlocked.Add(ref _bytes, -left.Bytes);
                Interlocked.Increment(ref _dropped);
            }
            _owner._subscribers.TryRemove(this, out _);
            return true;
        }

        public bool TryRead(out T value)
        {
            if (_queue.Reader.TryRead(out var item))
            {
                Interlocked.Add(ref _bytes, -item.Bytes);
                value = item.Value;
                return true;
            }
            value = default!;
            return false;
        }

        /// <summary>False once the subscriber was cut off (or disposed) and its queue is empty.</summary>
        public ValueTask<bool> WaitToReadAsync(CancellationToken ct) => _queue.Reader.WaitToReadAsync(ct);

        public void Dispose()
        {
            _disposed = true;
            _owner._subscribers.TryRemove(this, out _);
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out _)) { }
            Interlocked.Exchange(ref _bytes, 0);
        }
    }
}
