using Godo.Agent.Tree;
using Godo.Messages.Wire;

namespace Godo.Agent.Tests.Tree;

/// <summary>The feed: every exec and exit the tree applies, at the event's own time, with how the exit became known.</summary>
public sealed class FeedTests
{
    private const int Bash = ExitAndSignalTests.Bash;

    private static HostScript Host()
    {
        var h = ExitAndSignalTests.Host();
        h.Tree.TrackFeed = true;
        return h;
    }

    [Fact]
    public void Each_successful_exec_is_one_event_at_its_record_time_and_forks_and_failed_execs_are_none()
    {
        var h = Host();
        var child = h.Fork(Bash);
        h.Exec(child, "/bin/nope", ["nope"], success: false);
        var exec = h.Exec(child, "/bin/true", ["true", "a"]);
        var again = h.Exec(child, "/bin/sleep", ["sleep", "1"]); // an exec of an exec'd process is news too
        var feed = h.Tree.DrainFeed();
        Assert.Equal([FeedEventKind.Exec, FeedEventKind.Exec], feed.Select(e => e.Kind));
        Assert.Equal((child, Bash, "/bin/true", "true a", exec.TimeMs), (feed[0].Pid, feed[0].Ppid, feed[0].Exe, string.Join(' ', feed[0].Argv), feed[0].At.ToUnixTimeMilliseconds()));
        Assert.Equal(again.TimeMs, feed[1].At.ToUnixTimeMilliseconds());
        Assert.False(h.Tree.HasFeed);
    }

    [Fact]
    public void Each_death_is_one_exit_event_with_its_cause_and_what_the_source_told_of_it()
    {
        var h = Host();
        int Child(string name) { var c = h.Fork(Bash); h.Exec(c, "/bin/" + name, [name]); return c; }
        var exits = Child("exits");
        var killed = Child("killed");
        var reaped = Child("reaped");
        var reported = Child("reported");
        var signalled = Child("signalled");
        h.Tree.DrainFeed();

        var exit = h.ExitGroup(exits);
        h.Signal(Bash, killed, 9);
        h.DieUnseen(reaped);
        h.Wait4(Bash, reaped);
        h.Sleep(5);
        h.Tree.ApplyProcExit(reported, h.TimeMs, 3 << 8);
        h.Tree.ApplyProcExit(signalled, h.TimeMs, 15);
        h.Tree.ApplyProcExit(exits, h.TimeMs, 0); // audit saw it already: no second exit
        var feed = h.Tree.DrainFeed();
        Assert.All(feed, e => Assert.Equal(FeedEventKind.Exit, e.Kind));
        Assert.Equal([
                (exits, ExitCauses.ExitGroup, (int?)0, (int?)null),
                (killed, ExitCauses.Killed, null, 9),
                (reaped, ExitCauses.Reaped, null, null),
                (reported, ExitCauses.Reported, 3, null),
                (signalled, ExitCauses.Reported, null, 15),
            ],
            feed.Select(e => (e.Pid, e.Cause!, e.ExitCode, e.Signal)));
        Assert.Equal(exit.TimeMs, feed[0].At.ToUnixTimeMilliseconds());
        Assert.Equal("killed", Assert.Single(feed[1].Argv));
    }

    [Fact]
    public void Without_tracking_the_tree_records_nothing()
    {
        var h = ExitAndSignalTests.Host();
        var c = h.Fork(Bash);
        h.Exec(c, "/bin/true", ["true"]);
        h.ExitGroup(c);
        Assert.False(h.Tree.HasFeed);
        Assert.Empty(h.Tree.DrainFeed());
    }
}

public sealed class FeedBufferTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_921_864_000);
    private static long Ms(int offset) => T0.ToUnixTimeMilliseconds() + offset;

    private static FeedEvent E(int offsetMs, int pid, string argv = "x") => new()
    {
        Kind = FeedEventKind.Exec, At = T0.AddMilliseconds(offsetMs), Pid = pid, Ppid = 1, Exe = "/bin/x", Argv = [argv],
    };

    [Fact]
    public void Events_leave_in_event_time_order_once_the_window_has_passed_numbered_without_holes()
    {
        var b = new FeedBuffer(new FeedSettings { ReorderWindow = TimeSpan.FromMilliseconds(250) });
        b.Add(E(100, 1), T0);
        b.Add(E(300, 2), T0);
        b.Add(E(50, 3), T0);   // applied later, happened earlier: a slow exec
        b.Add(E(300, 4), T0);  // a tie keeps the applied order
        Assert.Null(b.Release(Ms(299)));            // nothing is 250 ms old yet
        var first = b.Release(Ms(350))!.Value;       // 50 and 100 are
        Assert.Equal((1L, 0L), (first.First, first.Dropped));
        Assert.Equal([3, 1], first.Events.Select(e => e.Pid));
        Assert.Equal([1L, 2L], first.Events.Select(e => e.Seq));
        var rest = b.Release(long.MaxValue)!.Value;  // the stream went idle: everything
        Assert.Equal(3, rest.First);
        Assert.Equal([2, 4], rest.Events.Select(e => e.Pid));
        Assert.True(b.IsEmpty);
        Assert.Null(b.Release(long.MaxValue));
    }

    [Fact]
    public void Argv_is_capped_and_says_so()
    {
        var b = new FeedBuffer(new FeedSettings { ArgvChars = 10 });
        b.Add(E(0, 1) with { Argv = ["sh", "-c", "0123456789abcdef", "more"] }, T0.AddSeconds(1));
        var e = Assert.Single(b.Release(long.MaxValue)!.Value.Events);
        Assert.Equal("sh|-c|012345", string.Join('|', e.Argv));
        Assert.True(e.ArgvTruncated);
        Assert.Equal(T0.AddSeconds(1), e.ReceivedAt);
    }

    [Fact]
    public void Beyond_its_bound_in_bytes_the_buffer_drops_and_counts_and_a_batch_is_bounded_too()
    {
        var size = FeedLimits.Size(E(0, 0, new string('a', 1000)));
        var b = new FeedBuffer(new FeedSettings { MaxBufferedBytes = size * 10, MaxBatchBytes = size * 4 });
        for (var i = 0; i < 15; i++) b.Add(E(i, i, new string('a', 1000)), T0);
        Assert.Equal(size * 10, b.Bytes);
        Assert.Equal(5, b.DroppedTotal);
        var one = b.Release(long.MaxValue)!.Value;
        Assert.Equal((4, 5L), (one.Events.Length, one.Dropped)); // the drops are told with the next batch
        var two = b.Release(long.MaxValue)!.Value;
        Assert.Equal((5L, 4, 0L), (two.First, two.Events.Length, two.Dropped));
        var three = b.Release(long.MaxValue)!.Value;
        Assert.Equal((9L, 2), (three.First, three.Events.Length));
        Assert.Equal(0, b.Bytes);
    }
}
