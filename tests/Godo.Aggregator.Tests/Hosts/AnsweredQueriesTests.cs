using Godo.Aggregator.Hosts;

namespace Godo.Aggregator.Tests.Hosts;

public sealed class AnsweredQueriesTests
{
    [Fact]
    public void An_id_is_answered_once_and_no_id_always()
    {
        var answered = new AnsweredQueries();
        Assert.True(answered.First(42));
        Assert.False(answered.First(42));
        Assert.True(answered.First(43));
        Assert.True(answered.First(0));
        Assert.True(answered.First(0));
    }

    [Fact]
    public void Only_the_last_ids_are_kept()
    {
        var answered = new AnsweredQueries(capacity: 3);
        foreach (var id in new long[] { 1, 2, 3, 4 }) Assert.True(answered.First(id));
        Assert.True(answered.First(1)); // the oldest was let go
        Assert.False(answered.First(4));
        Assert.False(answered.First(3));
    }
}
