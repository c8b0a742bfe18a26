using Godo.Aggregator.Tests.Infrastructure;

namespace Godo.Aggregator.Tests.Clustering;

/// <summary>
/// A delta lost on the way (as those sent to a member that was killed) comes again from the agent's real publisher,
/// asked for by the gap it left: the aggregator's tree equals the agent's with no second snapshot.
/// </summary>
public sealed class DeltaResendTests
{
    [Fact]
    public async Task A_lost_delta_is_sent_again_instead_of_a_snapshot()
    {
        await using var aggregator = await AggregatorNode.StartAsync();
        await aggregator.WaitUpAsync(1, TimeSpan.FromSeconds(30));
        // Each of the first few deltas after the snapshot is lost once; what is sent again goes through.
        // The corpus comes in big batches (hundreds of KB a delta): room to keep every one of them.
        var lost = new System.Collections.Concurrent.ConcurrentDictionary<long, bool>();
        await using var agent = await AgentNode.StartAsync("resend", [aggregator.Address],
            dropDelta: d => d.Sequence is >= 3 and <= 5 && lost.TryAdd(d.Sequence, true), resendBytes: 64L << 20);
        var chunks = Corpus.DockerBasicChunks(8);
        for (var i = 0; i < chunks.Count; i++)
        {
            await agent.FeedAsync(chunks[i], endOfStream: i == chunks.Count - 1);
            await Task.Delay(250);
        }
        var expected = await agent.TreeAsync();
        await Eventually.Until(async () => await aggregator.TreeAsync(agent.HostName) is { } tree && Corpus.Fingerprint(tree) == Corpus.Fingerprint(expected),
            TimeSpan.FromSeconds(30), "the aggregator's tree equals the agent's");
        var counters = await agent.CountersAsync();
        Assert.Equal(3, lost.Count);
        Assert.True(counters.DeltasResent > 0, $"deltas sent again: {counters}");
        Assert.Equal(1, counters.Snapshots);
    }
}
