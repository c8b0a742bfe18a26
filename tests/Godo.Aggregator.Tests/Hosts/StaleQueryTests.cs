using Akka.Actor;
using Akka.Hosting;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.Hosts;

/// <summary>
/// A host's entity answers a tree query only while someone still waits for it: queries buffered while a shard moves
/// reach the recovered entity all at once, and those whose askers gave up are dropped instead of each building a tree.
/// </summary>
public sealed class StaleQueryTests
{
    [Fact]
    public async Task A_query_past_its_answer_by_gets_no_answer_and_a_current_one_does()
    {
        await using var node = await AggregatorNode.StartAsync();
        var region = ActorRegistry.For(node.System).Get<HostRegion>();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Nobody waits for this one any more (its asker's 1 s ran out 10 s ago): no answer, not even "unknown host".
        await Assert.ThrowsAsync<AskTimeoutException>(() =>
            region.Ask<HostTreeReply>(new HostTreeQuery("stale-host", AnswerBy: now - 10_000), TimeSpan.FromSeconds(2)));

        var current = await region.Ask<HostTreeReply>(new HostTreeQuery("stale-host", AnswerBy: now + 10_000), TimeSpan.FromSeconds(10));
        Assert.Equal(404, current.Status);
        var open = await region.Ask<HostTreeReply>(new HostTreeQuery("stale-host"), TimeSpan.FromSeconds(10));
        Assert.Equal(404, open.Status);
    }

    [Fact]
    public async Task A_query_sent_again_is_answered_once()
    {
        await using var node = await AggregatorNode.StartAsync();
        var region = ActorRegistry.For(node.System).Get<HostRegion>();
        var query = new HostTreeQuery("repeated-host", AnswerBy: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 30_000, QueryId: 1234);

        Assert.Equal(404, (await region.Ask<HostTreeReply>(query, TimeSpan.FromSeconds(10))).Status);
        // The same query again (its asker's second send, after the first went to a member that might have died): no answer.
        await Assert.ThrowsAsync<AskTimeoutException>(() => region.Ask<HostTreeReply>(query, TimeSpan.FromSeconds(2)));
        // Another query is answered.
        Assert.Equal(404, (await region.Ask<HostTreeReply>(query with { QueryId = 1235 }, TimeSpan.FromSeconds(10))).Status);
    }
}
