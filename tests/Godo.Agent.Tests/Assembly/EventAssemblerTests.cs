using System.Text;
using Godo.Agent.Assembly;
using Godo.Agent.Audit;
using Godo.Agent.Tests.Audit;

namespace Godo.Agent.Tests.Assembly;

public sealed class EventAssemblerTests
{
    private const long T0 = 1_795_921_864_000;

    private static readonly AssemblyOptions Wide = new() { ReorderWindow = 1_000_000, EventTimeoutMs = 1_000_000, MaxInFlight = 1_000_000 };

    private static AuditRecord Line(string type, long serial, string body, long timeMs = T0)
    {
        var text = AuditText.Header(type, timeMs, serial) + body;
        Assert.Equal(MalformedReason.None, AuditLineParser.TryParseLine(Encoding.Latin1.GetBytes(text), out var r));
        return r;
    }

    private static AuditRecord Syscall(long serial, int nr, int pid, int ppid, long exit = 0, long timeMs = T0) =>
        Line("SYSCALL", serial, $"arch=c000003e syscall={nr} success=yes exit={exit} a0=0 a1=0 a2=0 a3=0 items=0 ppid={ppid} pid={pid} uid=0 comm=\"p{pid}\" exe=\"/bin/p{pid}\" key=\"godo\"", timeMs);

    private static AuditRecord Eoe(long serial, long timeMs = T0) => Line("EOE", serial, "", timeMs);

    private static List<AuditEvent> Feed(EventAssembler a, params AuditRecord[] records)
    {
        var output = new List<AuditEvent>();
        foreach (var r in records) a.Offer(r, output);
        return output;
    }

    [Fact]
    public void Eoe_completes_the_event_with_all_its_records()
    {
        var a = new EventAssembler(Wide);
        var e = Assert.Single(Feed(a,
            Syscall(10, 59, 100, 1),
            Line("EXECVE", 10, "argc=2 a0=\"sleep\" a1=\"5\""),
            Line("CWD", 10, "cwd=\"/\""),
            Line("PROCTITLE", 10, "proctitle=736C6565700035"),
            Eoe(10)));
        Assert.Equal(10, e.Serial);
        Assert.True(e.EndedByEoe);
        Assert.Equal(5, e.RecordCount);
        Assert.Equal(["sleep", "5"], e.Argv.ToArray());
        Assert.Equal(1, e.Sequence);
    }

    [Fact]
    public void Nothing_comes_out_before_the_event_is_complete()
    {
        var a = new EventAssembler(Wide);
        Assert.Empty(Feed(a, Syscall(10, 59, 100, 1), Line("EXECVE", 10, "argc=1 a0=\"x\"")));
        Assert.Equal(1, a.Policy.InFlight);
    }

    [Fact]
    public void Interleaved_records_of_two_serials_are_assembled_into_their_own_events()
    {
        var a = new EventAssembler(Wide);
        var output = Feed(a,
            Syscall(1, 59, 100, 1),
            Syscall(2, 57, 200, 1, exit: 201),
            Line("EXECVE", 1, "argc=2 a0=\"cat\" a1=\"/etc/hosts\""),
            Line("PROCTITLE", 2, "proctitle=\"p200\""),
            Line("CWD", 1, "cwd=\"/tmp\""),
            Eoe(2),
            Eoe(1));
        Assert.Equal(2, output.Count);
        var fork = output[0];
        var exec = output[1];
        Assert.Equal((2L, 200, SyscallKind.Fork, 201L, 3), (fork.Serial, fork.Pid, fork.Kind, fork.Exit!.Value, fork.RecordCount));
        Assert.Equal(["p200"], fork.Proctitle.ToArray());
        Assert.True(fork.Argv.IsDefault);
        Assert.Equal((1L, 100, SyscallKind.Execve, 4), (exec.Serial, exec.Pid, exec.Kind, exec.RecordCount));
        Assert.Equal(["cat", "/etc/hosts"], exec.Argv.ToArray());
        Assert.Equal("/tmp", exec.Cwd);
        Assert.Equal([1L, 2L], output.Select(e => e.Sequence));
    }

    [Fact]
    public void Events_without_eoe_come_out_in_serial_order_as_the_window_passes()
    {
        var a = new EventAssembler(Wide with { ReorderWindow = 2 });
        var output = new List<AuditEvent>();
        for (var s = 1; s <= 6; s++)
        {
            a.Offer(Syscall(s, 57, 100 + s, 1, exit: 1000 + s), output);
            a.Offer(Line("PROCTITLE", s, "proctitle=\"x\""), output);
        }
        Assert.Equal([1L, 2L, 3L, 4L], output.Select(e => e.Serial));
        Assert.All(output, e => Assert.Equal(2, e.RecordCount));
        Assert.All(output, e => Assert.False(e.EndedByEoe));
        a.FlushAll(output);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], output.Select(e => e.Serial));
        Assert.Equal(6, a.Policy.CompletedWithoutEoe);
    }

    [Fact]
    public void Event_time_timeout_completes_an_event_without_eoe()
    {
        var a = new EventAssembler(Wide with { EventTimeoutMs = 2000 });
        var output = Feed(a, Syscall(1, 57, 100, 1, exit: 5, timeMs: T0), Syscall(2, 57, 100, 1, exit: 6, timeMs: T0 + 2500));
        Assert.Equal(1L, Assert.Single(output).Serial);
        output.Clear();
        a.Tick(T0 + 4500, output);
        Assert.Equal(2L, Assert.Single(output).Serial);
    }

    [Theory]
    [InlineData("CONFIG_CHANGE", "op=set audit_backlog_limit=8192 old=64 auid=0 ses=1 res=1")]
    [InlineData("USER_CMD", "pid=4 uid=0 auid=0 ses=2 msg='cwd=\"/root\" cmd=6C73 exe=\"/usr/bin/sudo\" res=success'")]
    [InlineData("DAEMON_START", "op=start ver=3.0.9 format=raw kernel=6.18.0 auid=4294967295 pid=300 uid=0 res=success")]
    [InlineData("USER_AUTH", "pid=4 uid=0 auid=0 ses=2 msg='op=PAM:authentication acct=\"root\" res=success'")]
    public void Standalone_record_comes_out_alone_at_once(string type, string body)
    {
        var a = new EventAssembler(Wide);
        var open = Feed(a, Syscall(1, 57, 100, 1, exit: 5)); // an open event does not hold it back
        Assert.Empty(open);
        var e = Assert.Single(Feed(a, Line(type, 2, body)));
        Assert.Equal(2, e.Serial);
        Assert.Equal(1, e.RecordCount);
        Assert.False(e.HasSyscall);
        Assert.Equal(1, a.Policy.InFlight);
        Assert.Equal(0, a.MalformedEvents);
        Assert.Equal(0, a.Policy.CompletedWithoutEoe); // a record that never has an EOE is not counted as missing one
    }

    [Fact]
    public void A_core_dump_record_comes_out_after_the_events_open_before_it()
    {
        var a = new EventAssembler(Wide with { ReorderWindow = 2 });
        Assert.Empty(Feed(a, Syscall(1, 59, 100, 1, exit: 0))); // e.g. a checkpoint's exec, no EOE in an auditd log
        Assert.Empty(Feed(a, Line("ANOM_ABEND", 2, "auid=4294967295 uid=0 gid=0 ses=4294967295 pid=12256 comm=\"sh\" exe=\"/usr/bin/dash\" sig=6 res=1")));
        var output = Feed(a, Syscall(3, 57, 100, 1, exit: 5));
        output.AddRange(Feed(a, Syscall(4, 57, 100, 1, exit: 6)));
        Assert.Equal(new long[] { 1, 2 }, output.Select(e => e.Serial).ToArray());
        Assert.Equal(12256, output[1].CrashedPid);
        Assert.Equal(0, a.MalformedEvents);
    }

    [Fact]
    public void Late_record_comes_out_as_a_fragment_and_is_counted()
    {
        var a = new EventAssembler(Wide);
        Feed(a, Syscall(1, 59, 100, 1), Eoe(1));
        var fragment = Assert.Single(Feed(a, Line("CWD", 1, "cwd=\"/late\"")));
        Assert.Equal(1, fragment.Serial);
        Assert.False(fragment.HasSyscall);
        Assert.Equal(1, a.Policy.LateRecords);
        Assert.Empty(Feed(a, Eoe(1))); // a second EOE is late too, and yields nothing
        Assert.Equal(2, a.Policy.LateRecords);
    }

    [Fact]
    public void Max_in_flight_flushes_the_oldest_event()
    {
        var a = new EventAssembler(Wide with { MaxInFlight = 2 });
        var output = Feed(a, Syscall(1, 57, 100, 1, 5), Syscall(2, 57, 100, 1, 6), Syscall(3, 57, 100, 1, 7));
        Assert.Equal(1L, Assert.Single(output).Serial);
        Assert.Equal(2, a.Policy.InFlight);
    }

    [Fact]
    public void Stuck_event_does_not_hold_back_eoe_completed_ones()
    {
        var a = new EventAssembler(Wide);
        var output = Feed(a, Syscall(1, 57, 100, 1, 5), Syscall(2, 57, 101, 1, 6), Eoe(2), Syscall(3, 57, 102, 1, 7), Eoe(3));
        Assert.Equal([2L, 3L], output.Select(e => e.Serial));
        Assert.Equal([1L, 2L], output.Select(e => e.Sequence));
        a.FlushAll(output);
        Assert.Equal([2L, 3L, 1L], output.Select(e => e.Serial));
        Assert.Equal([1L, 2L, 3L], output.Select(e => e.Sequence));
    }

    [Fact]
    public void Sequence_numbers_are_consecutive_across_completions_standalones_and_fragments()
    {
        var a = new EventAssembler(Wide with { ReorderWindow = 2 });
        var output = Feed(a,
            Syscall(1, 57, 100, 1, 5),
            Line("CONFIG_CHANGE", 2, "op=x"),
            Syscall(3, 57, 100, 1, 6), Eoe(3),
            Line("PATH", 3, "item=0"),
            Syscall(4, 57, 100, 1, 7),
            Syscall(5, 57, 100, 1, 8));
        a.FlushAll(output);
        Assert.Equal(Enumerable.Range(1, output.Count).Select(i => (long)i), output.Select(e => e.Sequence));
        Assert.Equal([2L, 3L, 3L, 1L, 4L, 5L], output.Select(e => e.Serial));
    }

    [Fact]
    public void Malformed_event_is_counted_and_still_comes_out()
    {
        var a = new EventAssembler(Wide);
        var e = Assert.Single(Feed(a, Line("SYSCALL", 1, "arch=c000003e syscall=59 success=yes"), Eoe(1)));
        Assert.False(e.HasSyscall);
        Assert.Equal(1, a.MalformedEvents);
    }
}
