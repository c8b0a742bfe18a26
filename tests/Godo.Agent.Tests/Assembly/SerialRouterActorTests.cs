using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Godo.Agent.Assembly;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Tests.Audit;
using Godo.Agent.Tree;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Tests.Assembly;

public sealed class SerialRouterActorTests : TestKit
{
    private const long T0 = 1_795_921_864_000;

    private static AuditRecord Line(string type, long serial, string body, long timeMs = T0)
    {
        var text = AuditText.Header(type, timeMs, serial) + body;
        Assert.Equal(MalformedReason.None, AuditLineParser.TryParseLine(Encoding.Latin1.GetBytes(text), out var r));
        return r;
    }

    /// <summary>A fork by pid serial+1000, so every event says which serial it was built from.</summary>
    private static AuditRecord Syscall(long serial) =>
        Line("SYSCALL", serial, $"arch=c000003e syscall=57 success=yes exit={serial + 5000} a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid={serial + 1000} uid=0 comm=\"x\" exe=\"/x\" key=\"godo\"");

    private static AuditRecord Proctitle(long serial) => Line("PROCTITLE", serial, "proctitle=\"x\"");
    private static AuditRecord Eoe(long serial) => Line("EOE", serial, "");

    private static RecordBatch Batch(IEnumerable<AuditRecord> records) => new([.. records]);

    /// <summary>Everything the tree probe gets until EndOfInput and all events have arrived (assemblers and router race).</summary>
    private static (List<AuditEvent> Events, TreeProtocol.EndOfInput End) Collect(TestProbe tree, int events)
    {
        var list = new List<AuditEvent>();
        TreeProtocol.EndOfInput? end = null;
        while (list.Count < events || end is null)
        {
            var m = tree.ReceiveOne(TimeSpan.FromSeconds(20));
            switch (m)
            {
                case AuditEvent e: list.Add(e); break;
                case TreeProtocol.AssembledEvents batch: list.AddRange(batch.Events); break;
                case TreeProtocol.EndOfInput eoi: Assert.Null(end); end = eoi; break;
                case null: Assert.Fail($"timed out with {list.Count}/{events} events, end={end}"); break;
                default: Assert.Fail($"unexpected {m}"); break;
            }
        }
        tree.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        return (list, end);
    }

    private int CountChildren(IActorRef parent)
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection(parent.Path / "*").Tell(new Identify("count"), probe.Ref);
        return probe.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => m is ActorIdentity { Subject: not null } ? m : null).Count;
    }

    [Fact]
    public void A_log_paced_by_event_time_long_ago_keeps_an_event_open_for_its_late_records_across_ticks()
    {
        // A corpus from a day ago, replayed live (--pace event-time): the router's tick must time events out by the
        // stream's clock. By the wall's, every open event was cut at the first tick, before its later records came.
        var tree = CreateTestProbe();
        var router = Sys.ActorOf(SerialRouterActor.Props(new AssemblyOptions(), tree.Ref, new PipelineStats(), TimeSpan.FromMilliseconds(20)));
        var dayAgo = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        router.Tell(Batch([Line("SYSCALL", 1, "arch=c000003e syscall=57 success=yes exit=6001 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=1001 uid=0 comm=\"x\" exe=\"/x\" key=\"godo\"", dayAgo)]));
        tree.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // many ticks: nothing is due in the stream's time
        router.Tell(Batch([Line("PROCTITLE", 1, "proctitle=\"late\"", dayAgo), Line("EOE", 1, "", dayAgo)]));
        router.Tell(new EndOfStream());
        var (events, _) = Collect(tree, 1);
        var e = Assert.Single(events);
        Assert.Equal(1L, e.Serial);
        Assert.Equal(["late"], e.Proctitle.IsDefault ? [] : e.Proctitle.ToArray());
    }

    [Fact]
    public void Events_come_out_with_consecutive_sequence_numbers_and_end_of_input_names_the_last()
    {
        var tree = CreateTestProbe();
        var stats = new PipelineStats();
        var router = Sys.ActorOf(SerialRouterActor.Props(new AssemblyOptions { ReorderWindow = 8 }, tree.Ref, stats));

        var records = new List<AuditRecord>();
        for (long s = 1; s <= 300; s++)
        {
            records.Add(Syscall(s));
            if (s % 50 == 0) records.Add(Line("CONFIG_CHANGE", 100_000 + s, "op=x")); // standalone
            records.Add(Proctitle(s));
            if (s % 3 != 0) records.Add(Eoe(s));                                   // every third without EOE
        }
        foreach (var chunk in records.Chunk(37)) router.Tell(Batch(chunk)); // records of one serial span batches
        router.Tell(new EndOfStream());

        var (events, end) = Collect(tree, 306);
        var bySequence = events.OrderBy(e => e.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, 306).Select(i => (long)i), bySequence.Select(e => e.Sequence));
        Assert.Equal(306, end.LastSequence);
        var syscalls = events.Where(e => e.HasSyscall).ToList();
        Assert.Equal(300, syscalls.Count);
        Assert.All(syscalls, e => Assert.Equal(e.Serial + 1000, e.Pid));
        Assert.All(syscalls, e => Assert.Equal(e.Serial % 3 == 0 ? 2 : 3, e.RecordCount));
        Assert.All(syscalls, e => Assert.Equal(e.Serial % 3 != 0, e.EndedByEoe));
        Assert.Equal(300, events.Select(e => e.Serial).Where(s => s < 100_000).Distinct().Count());
        Assert.Equal(306, stats.Events);
        Assert.Equal(100, stats.EventsWithoutEoe);
        Assert.Equal(records.Count, stats.RecordsRouted);
    }

    [Fact]
    public void Completion_order_is_the_sequence_order()
    {
        var tree = CreateTestProbe();
        var router = Sys.ActorOf(SerialRouterActor.Props(new AssemblyOptions(), tree.Ref, new PipelineStats()));
        // 1 stays open, 2 and 3 complete by EOE, then the end of input completes 1.
        router.Tell(Batch([Syscall(1), Syscall(2), Syscall(3), Eoe(3), Eoe(2)]));
        router.Tell(new EndOfStream());
        var (events, end) = Collect(tree, 3);
        Assert.Equal([3L, 2L, 1L], events.OrderBy(e => e.Sequence).Select(e => e.Serial));
        Assert.Equal(3, end.LastSequence);
    }

    [Fact]
    public void Late_record_becomes_its_own_event_and_is_counted()
    {
        var tree = CreateTestProbe();
        var stats = new PipelineStats();
        var router = Sys.ActorOf(SerialRouterActor.Props(new AssemblyOptions(), tree.Ref, stats));
        router.Tell(Batch([Syscall(1), Eoe(1)]));
        router.Tell(Batch([Line("CWD", 1, "cwd=\"/\""), Eoe(1)]));
        router.Tell(new EndOfStream());
        var (events, end) = Collect(tree, 2);
        Assert.Equal(2, end.LastSequence);
        Assert.Equal([true, false], events.OrderBy(e => e.Sequence).Select(e => e.HasSyscall));
        Assert.Equal(2, stats.LateRecords);
    }

    [Fact]
    public void Assemblers_are_reused_for_ten_thousand_sequential_serials()
    {
        var tree = CreateTestProbe();
        var router = Sys.ActorOf(SerialRouterActor.Props(new AssemblyOptions(), tree.Ref, new PipelineStats()));
        var records = new List<AuditRecord>();
        for (long s = 1; s <= 10_000; s++) { records.Add(Syscall(s)); records.Add(Proctitle(s)); records.Add(Eoe(s)); }
        foreach (var chunk in records.Chunk(1024)) router.Tell(Batch(chunk));
        router.Tell(new EndOfStream());
        var (events, end) = Collect(tree, 10_000);
        Assert.Equal(10_000, end.LastSequence);
        Assert.Equal(10_000, events.Select(e => e.Sequence).Distinct().Count());
        Assert.InRange(CountChildren(router), 1, SerialRouterActor.PoolSize);
    }

    [Fact]
    public void Without_eoe_the_pool_stays_within_its_size_while_the_reorder_window_is_open()
    {
        var tree = CreateTestProbe();
        var options = new AssemblyOptions { ReorderWindow = 64 };
        var router = Sys.ActorOf(SerialRouterActor.Props(options, tree.Ref, new PipelineStats()));
        var records = new List<AuditRecord>();
        for (long s = 1; s <= 10_000; s++) { records.Add(Syscall(s)); records.Add(Proctitle(s)); }
        foreach (var chunk in records.Chunk(1024)) router.Tell(Batch(chunk));
        router.Tell(new EndOfStream());
        var (events, end) = Collect(tree, 10_000);
        Assert.Equal(10_000, end.LastSequence);
        Assert.All(events, e => Assert.Equal(2, e.RecordCount));
        Assert.InRange(CountChildren(router), 1, SerialRouterActor.PoolSize);
    }
}
