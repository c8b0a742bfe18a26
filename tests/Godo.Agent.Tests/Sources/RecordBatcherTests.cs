using Akka.Actor;
using Akka.TestKit.Xunit2;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Tests.Sources;

public sealed class RecordBatcherTests : TestKit
{
    private static AuditRecord Record(long serial) => new(AuditRecordType.Eoe, 1_700_000_000_000 + serial, serial, ReadOnlyMemory<byte>.Empty);

    /// <summary>Stands in for the router: counts what it is given, as the router does for the batcher's back-pressure.</summary>
    private sealed class CountingRouter : ReceiveActor
    {
        public CountingRouter(PipelineStats stats, IActorRef probe)
        {
            Receive<RecordBatch>(b => { Interlocked.Add(ref stats.RecordsRouted, b.Records.Length); probe.Tell(b); });
            Receive<EndOfStream>(e => probe.Tell(e));
        }
    }

    /// <summary>The serials of every batch the router was given, in order, up to the end of the stream.</summary>
    private List<long> SerialsUntilEndOfStream(TimeSpan wait)
    {
        var serials = new List<long>();
        while (true)
        {
            var m = ExpectMsg<object>(wait);
            if (m is EndOfStream) return serials;
            serials.AddRange(((RecordBatch)m).Records.Select(r => r.Serial));
        }
    }

    [Fact]
    public void Records_parsed_before_the_router_started_are_delivered_in_order_once_it_has()
    {
        var stats = new PipelineStats();
        var router = new TaskCompletionSource<IActorRef>();
        var batcher = new RecordBatcher(router.Task, stats, batchSize: 100);
        for (long s = 1; s <= 2_550; s++) batcher.Add(Record(s));
        batcher.FlushIfIdle(); // a timer tick while the router is starting: returns at once
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        router.SetResult(Sys.ActorOf(Props.Create(() => new CountingRouter(stats, TestActor))));
        batcher.EndOfStream();
        var serials = SerialsUntilEndOfStream(TimeSpan.FromSeconds(5));
        Assert.Equal(Enumerable.Range(1, 2_550).Select(i => (long)i), serials);
        Assert.Equal(2_550, stats.Records);
    }

    [Fact]
    public void A_timer_flush_and_the_reader_never_reorder_batches()
    {
        var stats = new PipelineStats();
        var batcher = new RecordBatcher(Sys.ActorOf(Props.Create(() => new CountingRouter(stats, TestActor))), stats, batchSize: 7);
        using var timer = new Timer(_ => batcher.FlushIfIdle(), null, 0, 1);
        for (long s = 1; s <= 20_000; s++) batcher.Add(Record(s));
        batcher.EndOfStream();
        var serials = SerialsUntilEndOfStream(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(1, 20_000).Select(i => (long)i), serials);
    }
}
