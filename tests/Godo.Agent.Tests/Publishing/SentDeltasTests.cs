using Godo.Agent.Publishing;
using Godo.Messages.Wire;

namespace Godo.Agent.Tests.Publishing;

public sealed class SentDeltasTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
    private static HostDelta Delta(long sequence) => new("web-1", "inc-1", sequence, T0, [], []);

    [Fact]
    public void A_gap_gets_the_deltas_from_its_first_missing_sequence_once()
    {
        var sent = new SentDeltas(1024 * 1024);
        for (var s = 5; s <= 12; s++) sent.Add(Delta(s), 100, T0);
        Assert.True(sent.TryResend(9, 12, out var again));
        Assert.Equal([9L, 10, 11, 12], again.Select(d => d.Sequence));
        // Asked again from there: the ones sent again were lost too, so a snapshot.
        Assert.False(sent.TryResend(9, 12, out _));
        Assert.False(sent.TryResend(7, 12, out _));
        sent.Add(Delta(13), 100, T0);
        Assert.True(sent.TryResend(13, 13, out again));
        Assert.Equal([13L], again.Select(d => d.Sequence));
    }

    [Fact]
    public void What_is_no_longer_held_needs_a_snapshot()
    {
        var sent = new SentDeltas(1000);
        for (var s = 1; s <= 20; s++) sent.Add(Delta(s), 100, T0);
        Assert.Equal(10, sent.Count);
        Assert.False(sent.TryResend(5, 20, out _), "5 was dropped for the byte bound");
        Assert.False(sent.TryResend(15, 21, out _), "21 was never kept (a snapshot's number)");
        Assert.True(sent.TryResend(11, 20, out _));

        var old = new SentDeltas(1024 * 1024);
        old.Add(Delta(1), 10, T0);
        old.Add(Delta(2), 10, T0.AddSeconds(61));
        Assert.Equal(1, old.Count);
        Assert.False(old.TryResend(1, 2, out _), "older than a minute");
        old.Trim(T0.AddSeconds(122));
        Assert.Equal(0, old.Count);

        old.Add(Delta(6), 10, T0.AddSeconds(122));
        old.Add(Delta(7), 10, T0.AddSeconds(122));
        Assert.Equal(2, old.Count);
        old.Add(Delta(9), 10, T0.AddSeconds(122));
        Assert.Equal(1, old.Count);
        Assert.False(old.TryResend(7, 9, out _), "not contiguous: started over from 9");
        old.Clear();
        Assert.False(old.TryResend(9, 9, out _), "a snapshot went out");
    }
}
