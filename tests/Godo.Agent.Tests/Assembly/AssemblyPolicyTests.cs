using Godo.Agent.Assembly;
using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Assembly;

public sealed class AssemblyPolicyTests
{
    private const long T0 = 1_795_921_864_000;

    private static AuditRecord Rec(int type, long serial, long timeMs = T0) => new(type, timeMs, serial, null);

    private static readonly AssemblyOptions Wide = new() { ReorderWindow = 1_000_000, EventTimeoutMs = 1_000_000, MaxInFlight = 1_000_000 };

    private static List<(long Serial, bool Eoe)> Offer(AssemblyPolicy p, AuditRecord r, out RecordDisposition d)
    {
        var done = new List<(long, bool)>();
        d = p.Offer(r, done);
        return done;
    }

    private static List<(long Serial, bool Eoe)> Offer(AssemblyPolicy p, AuditRecord r) => Offer(p, r, out _);

    [Fact]
    public void First_record_starts_an_event_and_the_next_continues_it()
    {
        var p = new AssemblyPolicy(Wide);
        Assert.Empty(Offer(p, Rec(AuditRecordType.Syscall, 10), out var d1));
        Assert.Empty(Offer(p, Rec(AuditRecordType.Proctitle, 10), out var d2));
        Assert.Equal(RecordDisposition.Started, d1);
        Assert.Equal(RecordDisposition.Continued, d2);
        Assert.Equal(1, p.InFlight);
    }

    [Fact]
    public void Eoe_completes_its_event_at_once()
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(AuditRecordType.Syscall, 10));
        Offer(p, Rec(AuditRecordType.Proctitle, 10));
        Assert.Equal([(10L, true)], Offer(p, Rec(AuditRecordType.Eoe, 10)));
        Assert.Equal(0, p.InFlight);
        Assert.Equal(0, p.CompletedWithoutEoe);
    }

    [Fact]
    public void Event_without_eoe_completes_once_the_reorder_window_of_newer_serials_has_passed()
    {
        var p = new AssemblyPolicy(Wide with { ReorderWindow = 3 });
        Offer(p, Rec(AuditRecordType.Syscall, 1));
        Assert.Empty(Offer(p, Rec(AuditRecordType.Syscall, 2)));
        Assert.Empty(Offer(p, Rec(AuditRecordType.Syscall, 3)));
        Assert.Equal([(1L, false)], Offer(p, Rec(AuditRecordType.Syscall, 4)));
        Assert.Equal([(2L, false)], Offer(p, Rec(AuditRecordType.Syscall, 5)));
        Assert.Equal(2, p.CompletedWithoutEoe);
    }

    [Fact]
    public void More_records_of_an_open_serial_do_not_move_the_window()
    {
        var p = new AssemblyPolicy(Wide with { ReorderWindow = 2 });
        Offer(p, Rec(AuditRecordType.Syscall, 1));
        Offer(p, Rec(AuditRecordType.Syscall, 2));
        for (var i = 0; i < 10; i++) Assert.Empty(Offer(p, Rec(AuditRecordType.Path, 2)));
        Assert.Equal([(1L, false)], Offer(p, Rec(AuditRecordType.Syscall, 3)));
    }

    [Fact]
    public void Event_time_timeout_completes_an_event_when_a_newer_record_arrives()
    {
        var p = new AssemblyPolicy(Wide with { EventTimeoutMs = 2000 });
        Offer(p, Rec(AuditRecordType.Syscall, 1, T0));
        Assert.Empty(Offer(p, Rec(AuditRecordType.Syscall, 2, T0 + 1999)));
        Assert.Equal([(1L, false)], Offer(p, Rec(AuditRecordType.Syscall, 3, T0 + 2000)));
    }

    [Fact]
    public void Tick_completes_events_whose_timeout_has_passed_on_a_quiet_stream()
    {
        var p = new AssemblyPolicy(Wide with { EventTimeoutMs = 2000 });
        Offer(p, Rec(AuditRecordType.Syscall, 1, T0));
        Offer(p, Rec(AuditRecordType.Syscall, 2, T0 + 500));
        var done = new List<(long, bool)>();
        p.Tick(T0 + 1999, done);
        Assert.Empty(done);
        p.Tick(T0 + 2000, done);
        Assert.Equal([(1L, false)], done);
        done.Clear();
        p.Tick(T0 + 2500, done);
        Assert.Equal([(2L, false)], done);
        Assert.Equal(0, p.InFlight);
    }

    [Theory]
    [InlineData(AuditRecordType.ConfigChange)]
    [InlineData(1100)] // USER_AUTH
    [InlineData(1105)] // USER_START
    [InlineData(1123)] // USER_CMD
    [InlineData(1199)]
    [InlineData(1200)] // DAEMON_START
    [InlineData(1201)] // DAEMON_END
    [InlineData(AuditRecordType.Login)]
    [InlineData(AuditRecordType.EventListener)]
    [InlineData(2100)]
    [InlineData(2999)]
    public void Standalone_record_is_an_event_by_itself_and_opens_nothing(int type)
    {
        var p = new AssemblyPolicy(Wide);
        Assert.Empty(Offer(p, Rec(type, 77), out var d));
        Assert.Equal(RecordDisposition.Standalone, d);
        Assert.Equal(0, p.InFlight);
    }

    [Theory]
    [InlineData(AuditRecordType.Syscall)]
    [InlineData(AuditRecordType.Path)]
    [InlineData(AuditRecordType.Proctitle)]
    [InlineData(AuditRecordType.Execve)]
    [InlineData(AuditRecordType.ObjPid)]
    [InlineData(1400)] // AVC comes with a SYSCALL
    [InlineData(AuditRecordType.AnomAbend)] // alone, but a death: it must not overtake the events open before it
    public void Records_that_belong_to_syscall_events_are_not_standalone(int type)
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(type, 77), out var d);
        Assert.Equal(RecordDisposition.Started, d);
    }

    [Fact]
    public void Record_after_its_event_completed_is_late_and_counted()
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(AuditRecordType.Syscall, 10));
        Offer(p, Rec(AuditRecordType.Eoe, 10));
        Assert.Empty(Offer(p, Rec(AuditRecordType.Path, 10), out var d));
        Assert.Equal(RecordDisposition.Late, d);
        Assert.Equal(1, p.LateRecords);
        Assert.Equal(0, p.InFlight);
    }

    [Fact]
    public void Eoe_after_its_event_was_flushed_is_late()
    {
        var p = new AssemblyPolicy(Wide with { ReorderWindow = 1 });
        Offer(p, Rec(AuditRecordType.Syscall, 1));
        Assert.Equal([(1L, false)], Offer(p, Rec(AuditRecordType.Syscall, 2)));
        Offer(p, Rec(AuditRecordType.Eoe, 1), out var d);
        Assert.Equal(RecordDisposition.Late, d);
        Assert.Equal(1, p.LateRecords);
    }

    [Fact]
    public void Second_record_of_a_standalone_serial_is_late()
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(AuditRecordType.ConfigChange, 5));
        Offer(p, Rec(AuditRecordType.ConfigChange, 5), out var d);
        Assert.Equal(RecordDisposition.Late, d);
    }

    [Fact]
    public void Interleaved_serials_complete_independently()
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(AuditRecordType.Syscall, 1));
        Offer(p, Rec(AuditRecordType.Syscall, 2));
        Assert.Empty(Offer(p, Rec(AuditRecordType.Execve, 1), out var d));
        Assert.Equal(RecordDisposition.Continued, d);
        Assert.Equal([(2L, true)], Offer(p, Rec(AuditRecordType.Eoe, 2)));
        Assert.Equal([(1L, true)], Offer(p, Rec(AuditRecordType.Eoe, 1)));
    }

    [Fact]
    public void Max_in_flight_flushes_the_oldest()
    {
        var p = new AssemblyPolicy(Wide with { MaxInFlight = 3 });
        for (var s = 1; s <= 3; s++) Assert.Empty(Offer(p, Rec(AuditRecordType.Syscall, s)));
        Assert.Equal([(1L, false)], Offer(p, Rec(AuditRecordType.Syscall, 4)));
        Assert.Equal([(2L, false)], Offer(p, Rec(AuditRecordType.Syscall, 5)));
        Assert.Equal(3, p.InFlight);
    }

    [Fact]
    public void Stuck_incomplete_event_never_holds_back_later_eoe_completed_events()
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(AuditRecordType.Syscall, 1)); // never gets its EOE
        for (var s = 2; s <= 50; s++)
        {
            Offer(p, Rec(AuditRecordType.Syscall, s));
            Assert.Equal([((long)s, true)], Offer(p, Rec(AuditRecordType.Eoe, s)));
        }
        Assert.Equal(1, p.InFlight);
    }

    [Fact]
    public void Flush_all_completes_everything_open_in_arrival_order()
    {
        var p = new AssemblyPolicy(Wide);
        Offer(p, Rec(AuditRecordType.Syscall, 9));
        Offer(p, Rec(AuditRecordType.Syscall, 3));
        Offer(p, Rec(AuditRecordType.Syscall, 5));
        Offer(p, Rec(AuditRecordType.Eoe, 3));
        var done = new List<(long, bool)>();
        p.FlushAll(done);
        Assert.Equal([(9L, false), (5L, false)], done);
        Assert.Equal(0, p.InFlight);
    }

    [Fact]
    public void Statistics_count_completions_without_eoe_and_late_records()
    {
        var p = new AssemblyPolicy(Wide with { ReorderWindow = 2 });
        Offer(p, Rec(AuditRecordType.Syscall, 1));
        Offer(p, Rec(AuditRecordType.Eoe, 1));          // with EOE
        Offer(p, Rec(AuditRecordType.Syscall, 2));
        Offer(p, Rec(AuditRecordType.Syscall, 3));
        Offer(p, Rec(AuditRecordType.Syscall, 4));      // window: 2 completes without EOE
        Offer(p, Rec(AuditRecordType.Path, 1));         // late
        Offer(p, Rec(AuditRecordType.Path, 2));         // late
        var done = new List<(long, bool)>();
        p.FlushAll(done);                               // 3 and 4 without EOE
        Assert.Equal(3, p.CompletedWithoutEoe);
        Assert.Equal(2, p.LateRecords);
    }

    [Fact]
    public void Recently_completed_serials_are_forgotten_past_their_capacity()
    {
        var p = new AssemblyPolicy(Wide with { RecentCompletedCapacity = 4 });
        for (var s = 1; s <= 10; s++) { Offer(p, Rec(AuditRecordType.Syscall, s)); Offer(p, Rec(AuditRecordType.Eoe, s)); }
        Offer(p, Rec(AuditRecordType.Path, 10), out var recent);
        Offer(p, Rec(AuditRecordType.Path, 1), out var forgotten);
        Assert.Equal(RecordDisposition.Late, recent);
        Assert.Equal(RecordDisposition.Started, forgotten);
    }
}
