using Godo.Agent.Publishing;
using Godo.Messages.Wire;

namespace Godo.Agent.Tests.Publishing;

public sealed class SentDeltasTests
{
    private static HostDelta Delta(long sequence, int secondsAfterEpoch = 0) =>
        new("web-1", "inc-1", sequence, DateTimeOffset.UnixEpoch.AddSeconds(secondsAfterEpoch), [], []);

    [Fact]
    public void A_gap_gets_the_deltas_from_its_first_missing_sequence_once()
    {
        var sent = new SentDeltas(1024 * 1024);
        for (var s = 5; s <= 12; s++) sent.Add(Delta(s), 100);
        Assert.True(sent.TryResend(9, 12, out var again));
        Assert.Equal([9L, 10, 11, 12], again.Select(d => d.Sequence));
        // Asked again from there: the ones sent again were lost too, so a snapshot.
        Assert.False(sent.TryResend(9, 12, out _));
        Assert.False(sent.TryResend(7, 12, out _));
        sent.Add(Delta(13), 100);
        Assert.True(sent.TryResend(13, 13, out again));
        Assert.Equal([13L], again.Select(d => d.Sequence));
    }

    [Fact]
    public void What_is_no_longer_held_needs_a_snapshot()
    {
        var sent = new SentDeltas(1000);
        for (var s = 1; s <= 20; s++) sent.Add(Delta(s), 100);
        Assert.Equal(10, sent.Count);
        Assert.False(sent.TryResend(5, 20, out _), "5 was dropped for the byte bound");
        Assert.False(sent.TryResend(15, 21, out _), "21 was never kept (a snapshot's number)");
        Assert.True(sent.TryResend(11, 20, out _));

        var old = new SentDeltas(1024 * 1024);
        old.Add(Delta(1, 0), 10);
        old.Add(Delta(2, 61), 10);
        Assert.Equal(1, old.Count);
        Assert.False(old.TryResend(1, 2, out _), "older than a minute");

        old.Add(Delta(7, 62), 10);
        Assert.Equal(1, old.Count);
        Assert.False(old.TryResend(2, 7, out _), "not contiguous: started over from 7");
        old.Clear();
        Assert.False(old.TryResend(7, 7, out _), "a snapshot went out");
    }
}
