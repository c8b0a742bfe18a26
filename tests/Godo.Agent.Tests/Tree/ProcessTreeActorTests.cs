using Akka.Actor;
using Akka.TestKit.Xunit2;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Proc;
using Godo.Agent.Tree;
using Godo.Messages.Wire;
using Godo.Messages.Model;

namespace Godo.Agent.Tests.Tree;

public sealed class ProcessTreeActorTests : TestKit
{
    private const int Bash = 24554;

    /// <summary>Events of a short script, built but not applied: fork, exec, fork, exit of the first child.</summary>
    private static (List<AuditEvent> Events, int A, int B) Script()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        var events = new List<AuditEvent>();
        var a = h.Fork(Bash, apply: false); events.Add(h.Last!);
        h.Exec(a, "/usr/bin/sleep", ["sleep", "100"]); events.Add(h.Last!);
        var b = h.Fork(Bash, apply: false); events.Add(h.Last!);
        h.ExitGroup(a, apply: false); events.Add(h.Last!);
        return (events, a, b);
    }

    [Fact]
    public void Events_arriving_out_of_sequence_are_applied_in_sequence_order()
    {
        var (events, a, b) = Script();
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h" }, new PipelineStats()));
        foreach (var i in new[] { 3, 1, 0, 2 }) tree.Tell(events[i]);
        tree.Tell(new TreeProtocol.EndOfInput(4));
        tree.Tell(new TreeProtocol.WaitForDrain());
        var drained = ExpectMsg<TreeProtocol.Drained>();
        Assert.Equal(4, drained.EventsApplied);
        tree.Tell(new TreeProtocol.GetTree(IncludeExited: true));
        var host = ExpectMsg<HostTree>();
        var pa = Assert.Single(host.Processes, p => p.Pid == a);
        Assert.NotNull(pa.ExitedAt);                         // the exit came after the exec, as in the log
        Assert.Equal(["sleep", "100"], pa.Argv.ToArray());
        Assert.Null(Assert.Single(host.Processes, p => p.Pid == b).ExitedAt);
    }

    [Fact]
    public void Runs_from_assemblers_arriving_out_of_order_are_applied_in_sequence_order()
    {
        var (events, a, b) = Script();
        var stats = new PipelineStats();
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h" }, stats));
        tree.Tell(new TreeProtocol.AssembledEvents([events[3]]));
        tree.Tell(new TreeProtocol.AssembledEvents([events[1], events[2]]));
        tree.Tell(new TreeProtocol.EndOfInput(4));
        tree.Tell(new TreeProtocol.WaitForDrain());
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // sequence 1 is still missing: nothing is applied yet
        Assert.Equal(0, stats.EventsApplied);
        tree.Tell(new TreeProtocol.AssembledEvents([events[0]]));
        Assert.Equal(4, ExpectMsg<TreeProtocol.Drained>().EventsApplied);
        Assert.Equal(4, stats.EventsApplied);
        tree.Tell(new TreeProtocol.GetTree(IncludeExited: true));
        var host = ExpectMsg<HostTree>();
        var pa = Assert.Single(host.Processes, p => p.Pid == a);
        Assert.NotNull(pa.ExitedAt);
        Assert.Equal(["sleep", "100"], pa.Argv.ToArray());
        Assert.Null(Assert.Single(host.Processes, p => p.Pid == b).ExitedAt);
    }

    [Fact]
    public void Drain_waits_until_every_event_up_to_the_last_sequence_is_applied()
    {
        var (events, _, _) = Script();
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h" }, new PipelineStats()));
        tree.Tell(new TreeProtocol.EndOfInput(4));
        tree.Tell(new TreeProtocol.WaitForDrain());
        tree.Tell(events[0]);
        tree.Tell(events[2]);
        tree.Tell(events[3]);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // sequence 2 is still missing
        tree.Tell(events[1]);
        Assert.Equal(4, ExpectMsg<TreeProtocol.Drained>().EventsApplied);
    }

    [Fact]
    public void Events_after_until_are_not_applied()
    {
        var (events, a, b) = Script();
        var until = events[1].TimeMs;
        var host = ReplayUntil(events, until);
        Assert.Contains(host.Processes, p => p.Pid == a);
        Assert.DoesNotContain(host.Processes, p => p.Pid == b);
        Assert.Equal(until, host.AsOf.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void A_wait_entered_before_until_but_logged_after_a_later_event_is_not_applied()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash", "/opt/w.sh"]);
        var events = new List<AuditEvent>();
        var a = h.Fork(Bash, apply: false); events.Add(h.Last!);
        events.Add(h.Exec(a, "/usr/bin/sleep", ["sleep", "100"]));
        var entered = h.TimeMs; // bash blocks in wait4 from here
        h.Sleep(5000);
        var b = h.Fork(Bash, apply: false); events.Add(h.Last!);
        h.DieUnseen(a); // SIGTERM long after until
        events.Add(h.Wait4(Bash, a, entryTimeMs: entered, apply: false));
        var until = entered + 1000;
        Assert.True(events[3].TimeMs <= until);

        var host = ReplayUntil(events, until);
        Assert.Contains(host.Processes, p => p.Pid == a);
        Assert.DoesNotContain(host.Processes, p => p.Pid == b);
    }

    /// <summary>The events through a tree actor with --until, and its tree as of then.</summary>
    private HostTree ReplayUntil(List<AuditEvent> events, long until)
    {
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h", UntilMs = until }, new PipelineStats()));
        foreach (var e in events) tree.Tell(e);
        tree.Tell(new TreeProtocol.EndOfInput(events[^1].Sequence));
        tree.Tell(new TreeProtocol.WaitForDrain());
        ExpectMsg<TreeProtocol.Drained>();
        tree.Tell(new TreeProtocol.GetTree(until));
        return ExpectMsg<HostTree>();
    }

    [Fact]
    public void A_subscriber_that_took_its_snapshot_before_the_proc_seed_gets_the_seeded_processes_as_changes()
    {
        // The publisher may subscribe before the agent's /proc bootstrap reaches the tree (hosted services start in
        // order, the actors in parallel); on a quiet host no event would ever tell it about the running processes.
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h", Live = true, ChangeInterval = TimeSpan.FromMilliseconds(20) }, new PipelineStats()));
        tree.Tell(new TreeProtocol.SubscribeChanges(TestActor));
        Assert.Empty(ExpectMsg<HostTree>().Processes);
        var now = DateTimeOffset.UtcNow;
        ProcEntry Entry(int pid, int ppid, string comm, string? container = null, int? nsPid = null) => new()
        {
            Pid = pid, Ppid = ppid, Comm = comm, Exe = "/usr/bin/" + comm, Argv = [comm], StartTicks = (ulong)pid,
            StartedAt = now.AddMinutes(-5), State = 'S', ContainerId = container, NsPid = nsPid ?? pid,
        };
        var cid = new string('c', 64);
        tree.Tell(new TreeProtocol.Seed(new ProcSnapshot(now, now.AddHours(-1), [Entry(1, 0, "systemd"), Entry(700, 1, "sshd"), Entry(900, 1, "sleep", cid, 1)])));
        var changes = ExpectMsg<TreeProtocol.TreeChanges>();
        Assert.Equal([1, 700, 900], changes.Processes.Select(c => c.Process.Pid).Order().ToArray());
        Assert.All(changes.Processes, c => Assert.Equal(ProcessChangeKind.Upsert, c.Kind));
        Assert.Equal(cid, Assert.Single(changes.Containers).Container.Id);
    }

    [Fact]
    public void A_burst_of_changes_goes_to_subscribers_as_one_batch_with_its_feed()
    {
        // Four messages, each a change, well within one change interval: one publish, with every process and the whole
        // feed (the stream has been quiet since, so the feed does not wait for its reorder window).
        var (events, a, b) = Script();
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h", Live = true, ChangeInterval = TimeSpan.FromSeconds(2) },
            new PipelineStats()));
        tree.Tell(new TreeProtocol.SubscribeChanges(TestActor));
        ExpectMsg<HostTree>();
        foreach (var e in events) tree.Tell(new TreeProtocol.AssembledEvents([e]));
        var changes = ExpectMsg<TreeProtocol.TreeChanges>(TimeSpan.FromSeconds(30));
        Assert.Contains(changes.Processes, c => c.Process.Pid == a && c.Process.ExitedAt is not null);
        Assert.Contains(changes.Processes, c => c.Process.Pid == b);
        var feed = ExpectMsg<TreeProtocol.FeedChanges>(TimeSpan.FromSeconds(30));
        Assert.Contains(feed.Events, f => f.Pid == a && f.Kind == FeedEventKind.Exec);
        Assert.Contains(feed.Events, f => f.Pid == a && f.Kind == FeedEventKind.Exit);
        // Nothing was left for a second batch: the next message is the answer to this query.
        tree.Tell(new TreeProtocol.GetTree());
        ExpectMsg<HostTree>();
    }

    [Fact]
    public void On_an_idle_live_stream_an_exited_process_is_deleted_by_the_sweep_alone()
    {
        // No event after the exit moves event time on: the sweep, armed for when the deletion is due, must delete it.
        var (events, a, b) = Script();
        var tree = Sys.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = "h", Live = true, SweepInterval = TimeSpan.FromMilliseconds(100) }, new PipelineStats()));
        tree.Tell(new TreeProtocol.AssembledEvents([.. events]));
        tree.Tell(new TreeProtocol.GetTree(IncludeExited: true));
        Assert.NotNull(Assert.Single(ExpectMsg<HostTree>().Processes, p => p.Pid == a).ExitedAt);
        AwaitAssert(() =>
        {
            tree.Tell(new TreeProtocol.GetTree(IncludeExited: true));
            var host = ExpectMsg<HostTree>();
            Assert.DoesNotContain(host.Processes, p => p.Pid == a);
            Assert.Contains(host.Processes, p => p.Pid == b);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
    }
}
