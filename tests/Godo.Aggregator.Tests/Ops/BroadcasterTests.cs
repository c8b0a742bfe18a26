using Godo.Aggregator.Ops;

namespace Godo.Aggregator.Tests.Ops;

public sealed class BroadcasterTests
{
    [Fact]
    public async Task A_subscriber_queues_up_to_its_bound_in_bytes_then_is_cut_off_and_lets_its_queue_go()
    {
        var b = new Broadcaster<string>(1000, s => s.Length);
        using var slow = b.Subscribe();
        using var fast = b.Subscribe();
        for (var i = 0; i < 9; i++)
        {
            b.Publish(new string('a', 100));
            Assert.True(fast.TryRead(out _));
        }
        Assert.Equal(900, slow.Bytes);
        Assert.False(slow.Overflowed);

        b.Publish(new string('b', 100)); // exactly the bound: still queued
        Assert.True(fast.TryRead(out _));
        Assert.Equal(1000, slow.Bytes);
        Assert.False(slow.Overflowed);

        b.Publish("c"); // one byte over: cut off
        Assert.True(slow.Overflowed);
        Assert.True(slow.WhenOverflowed.IsCompleted);
        Assert.Equal(0, slow.Bytes);            // nothing held any more
        Assert.Equal(11, slow.Dropped);         // the 10 it had queued and the one that did not fit
        Assert.False(slow.TryRead(out _));
        Assert.Equal(1, b.Overflows);
        Assert.Equal(1, b.Count);
        Assert.Equal(1000, b.PeakQueuedBytes);

        // the others go on as before; the cut-off one counts what it misses
        Assert.True(fast.TryRead(out var c));
        b.Publish("d");
        Assert.True(fast.TryRead(out var d));
        Assert.Equal(("c", "d"), (c, d));
        Assert.Equal(11, slow.Dropped); // no longer subscribed: not even offered
        Assert.False(await slow.WaitToReadAsync(CancellationToken.None));
    }

    [Fact]
    public void A_reader_that_keeps_up_never_overflows_and_reading_frees_its_bytes()
    {
        var b = new Broadcaster<byte[]>(10_000, a => a.Length);
        using var s = b.Subscribe();
        long read = 0;
        for (var i = 0; i < 1000; i++)
        {
            b.Publish(new byte[4000]);
            b.Publish(new byte[4000]);
            Assert.InRange(s.Bytes, 8000, 8000);
            while (s.TryRead(out var v)) read += v.Length;
            Assert.Equal(0, s.Bytes);
        }
        Assert.Equal(8_000_000, read);
        Assert.False(s.Overflowed);
        Assert.Equal(0, s.Dropped);
    }

    [Fact]
    public void A_value_larger_than_the_bound_cuts_the_subscriber_off_rather_than_being_held()
    {
        var b = new Broadcaster<string>(100, s => s.Length);
        using var s = b.Subscribe();
        b.Publish(new string('x', 101));
        Assert.True(s.Overflowed);
        Assert.Equal((0L, 1L), (s.Bytes, s.Dropped));
    }

    [Fact]
    public void Disposing_unsubscribes_and_frees_the_queue()
    {
        var b = new Broadcaster<string>(1000, s => s.Length);
        var s = b.Subscribe();
        b.Publish("abc");
        s.Dispose();
        Assert.Equal(0, b.Count);
        Assert.Equal(0, s.Bytes);
        b.Publish("def");
        Assert.False(s.TryRead(out _));
        Assert.False(s.Overflowed);
    }
}
