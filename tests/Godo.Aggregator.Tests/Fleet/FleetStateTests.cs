using System.Collections.Immutable;
using Godo.Aggregator.Fleet;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Godo.Messages.Api;

namespace Godo.Aggregator.Tests.Fleet;

public sealed class FleetStateTests
{
    private const string Cid = "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111";
    private const string Cid2 = "aaaaaaaaaaab2222222222222222222222222222222222222222222222222222";
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_795_900_000);
    private DateTimeOffset _now = T0;
    private readonly FleetState _fleet;

    public FleetStateTests() => _fleet = new FleetState(new FleetOptions
    {
        StaleAfter = TimeSpan.FromSeconds(6), DownAfter = TimeSpan.FromSeconds(30), Retention = TimeSpan.FromMinutes(10),
        SnapshotRetry = TimeSpan.FromSeconds(2), UnreachableGrace = TimeSpan.FromSeconds(3),
    }, () => _now);

    private static ProcessInfo P(int pid, int ppid, string exe, string? container = null, long startMs = 1000, DateTimeOffset? exited = null, params string[] argv) => new()
    {
        Pid = pid, Ppid = ppid, Exe = exe, Comm = Path.GetFileName(exe), Argv = argv.Length > 0 ? [.. argv] : [exe], Container = container,
        StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(startMs), ExitedAt = exited,
    };

    private static ContainerInfo C(string id, string name, int count = 1, long startMs = 2000) => new()
    {
        Id = id, Name = name, Image = "busybox", InitPid = 100, ProcessCount = count, State = "running", StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(startMs),
    };

    private static HostSnapshot Snap(string host = "h1", string inc = "i1", long seq = 1, ProcessInfo[]? ps = null, ContainerInfo[]? cs = null) =>
        new(host, inc, seq, T0, [.. ps ?? [P(1, 0, "/sbin/init"), P(100, 1, "/bin/sh", Cid)]], [.. cs ?? [C(Cid, "web")]], new AgentStats { Records = 5 }, "akka.tcp://a@127.0.0.1:1");

    private static HostDelta Delta(long seq, string host = "h1", string inc = "i1", ProcessChange[]? ps = null, ContainerChange[]? cs = null) =>
        new(host, inc, seq, T0.AddSeconds(seq), [.. ps ?? []], [.. cs ?? []]);

    private static ProcessChange Up(ProcessInfo p) => new(ProcessChangeKind.Upsert, p);
    private static ProcessChange Exit(ProcessInfo p) => new(ProcessChangeKind.Exited, p);
    private static ProcessChange Gone(ProcessInfo p) => new(ProcessChangeKind.Removed, p);

    [Fact]
    public void Snapshot_then_deltas_in_order_build_the_tree_and_derive_container_events()
    {
        var first = _fleet.ApplySnapshot(Snap());
        Assert.Equal(IngestOutcome.Applied, first.Outcome);
        Assert.Equal([FleetEventKinds.HostUp], first.Events.Select(e => e.Kind));

        var r = _fleet.ApplyDelta(Delta(2, ps: [Up(P(200, 100, "/bin/sleep", Cid, 3000, null, "sleep", "60"))],
            cs: [new ContainerChange(ContainerChangeKind.Upsert, C(Cid, "web", 2)), new ContainerChange(ContainerChangeKind.Upsert, C(Cid2, "db"))]));
        Assert.Equal(IngestOutcome.Applied, r.Outcome);
        // execs and exits come from the agent's feed, never from what a delta changed
        Assert.Equal(Cid2, Assert.Single(r.Events).Container);
        Assert.Equal(FleetEventKinds.ContainerStart, r.Events[0].Kind);

        r = _fleet.ApplyDelta(Delta(3, ps: [Up(P(200, 100, "/bin/cat", Cid, 3000, null, "cat"))]));
        Assert.Empty(r.Events);
        r = _fleet.ApplyDelta(Delta(4, ps: [Exit(P(200, 100, "/bin/cat", Cid, 3000, T0.AddSeconds(4), "cat"))], cs: [new ContainerChange(ContainerChangeKind.Gone, C(Cid2, "db"))]));
        Assert.Equal([FleetEventKinds.ContainerStop], r.Events.Select(e => e.Kind));
        var tree = _fleet.Get("h1")!.ToTree();
        Assert.Equal([1, 100], tree.Processes.Select(p => p.Pid));
        Assert.Equal([1, 100, 200], _fleet.Get("h1")!.ToTree(includeExited: true).Processes.Select(p => p.Pid));
        _fleet.ApplyDelta(Delta(5, ps: [Gone(P(200, 100, "/bin/cat", Cid, 3000))]));
        Assert.Equal([1, 100], _fleet.Get("h1")!.ToTree(includeExited: true).Processes.Select(p => p.Pid));
        Assert.Equal(5, tree.Stats["records"]);
        Assert.Equal(4, tree.Stats["sequence"]);
        Assert.Equal([Cid], tree.Containers.Select(c => c.Id));
    }

    private static FeedEvent Fe(long seq, FeedEventKind kind, int pid, string container, params string[] argv) => new()
    {
        Kind = kind, Seq = seq, At = T0.AddMilliseconds(seq), ReceivedAt = T0.AddMilliseconds(seq + 2), Pid = pid, Ppid = 100, Exe = "/bin/" + argv[0],
        Argv = [.. argv], Container = container, Cause = kind == FeedEventKind.Exit ? ExitCauses.ExitGroup : null, ExitCode = kind == FeedEventKind.Exit ? 3 : null,
    };

    [Fact]
    public void The_feed_of_the_followed_incarnation_becomes_exec_and_exit_events_and_every_loss_is_a_dropped_event()
    {
        Assert.Equal(IngestOutcome.Dropped, _fleet.ApplyFeed(new HostFeed("h1", "i1", 1, [Fe(1, FeedEventKind.Exec, 200, Cid, "sleep", "60")])).Outcome); // no snapshot yet
        _fleet.ApplySnapshot(Snap());
        var r = _fleet.ApplyFeed(new HostFeed("h1", "i1", 1, [Fe(1, FeedEventKind.Exec, 200, Cid, "sleep", "60"), Fe(2, FeedEventKind.Exit, 200, Cid, "sleep", "60")]));
        Assert.Equal(IngestOutcome.Applied, r.Outcome);
        Assert.Equal([FleetEventKinds.Exec, FleetEventKinds.Exit], r.Events.Select(e => e.Kind));
        var exec = r.Events[0];
        Assert.Equal((200, "web", "sleep 60", T0.AddMilliseconds(1), T0.AddMilliseconds(3), 1L), (exec.Pid!.Value, exec.ContainerName, string.Join(' ', exec.Argv), exec.At, exec.ReceivedAt, exec.Seq));
        Assert.Equal((ExitCauses.ExitGroup, 3), (r.Events[1].Cause, r.Events[1].ExitCode));

        Assert.Equal(IngestOutcome.Duplicate, _fleet.ApplyFeed(new HostFeed("h1", "i1", 2, [Fe(2, FeedEventKind.Exit, 200, Cid, "sleep")])).Outcome);
        Assert.Equal(IngestOutcome.Dropped, _fleet.ApplyFeed(new HostFeed("h1", "other", 3, [Fe(3, FeedEventKind.Exec, 201, Cid, "evil")])).Outcome);

        // batches 3..6 never came, and the agent itself dropped 2 before batch 7
        r = _fleet.ApplyFeed(new HostFeed("h1", "i1", 7, [Fe(7, FeedEventKind.Exec, 300, Cid, "true")], Dropped: 2));
        Assert.Equal([FleetEventKinds.Dropped, FleetEventKinds.Dropped, FleetEventKinds.Exec], r.Events.Select(e => e.Kind));
        Assert.Equal((4L, 2L), (r.Events[0].Dropped!.Value, r.Events[1].Dropped!.Value));
        Assert.Contains("lost between", r.Events[0].Reason);
        Assert.Contains("buffer was full", r.Events[1].Reason);
        var stats = _fleet.Get("h1")!.ToTree().Stats;
        Assert.Equal((3L, 6L), (stats["feedEvents"], stats["feedDropped"]));

        // an agent is not trusted to cap argv
        var huge = new string('x', 100_000);
        r = _fleet.ApplyFeed(new HostFeed("h1", "i1", 8, [Fe(8, FeedEventKind.Exec, 301, Cid, "sh", huge)]));
        Assert.True(r.Events[0].ArgvTruncated);
        Assert.Equal(FeedLimits.ArgvChars, r.Events[0].Argv.Sum(a => a.Length));
    }

    [Fact]
    public void A_repeated_or_older_delta_is_ignored()
    {
        _fleet.ApplySnapshot(Snap(seq: 10));
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplyDelta(Delta(11, ps: [Up(P(5, 1, "/x"))])).Outcome);
        Assert.Equal(IngestOutcome.Duplicate, _fleet.ApplyDelta(Delta(11, ps: [Gone(P(5, 1, "/x"))])).Outcome);
        Assert.Equal(IngestOutcome.Duplicate, _fleet.ApplyDelta(Delta(3)).Outcome);
        Assert.Contains(_fleet.Get("h1")!.ToTree().Processes, p => p.Pid == 5);
    }

    [Fact]
    public void A_gap_asks_for_a_snapshot_once_drops_deltas_until_it_comes_then_resumes()
    {
        _fleet.ApplySnapshot(Snap(seq: 1));
        var r = _fleet.ApplyDelta(Delta(3, ps: [Up(P(7, 1, "/lost"))]));
        Assert.Equal(IngestOutcome.SnapshotNeeded, r.Outcome);
        Assert.Equal(("h1", "i1"), (r.Request!.Host, r.Request.Incarnation));
        Assert.Contains("gap: expected sequence 2, got 3", r.Request.Reason);
        Assert.True(_fleet.Get("h1")!.AwaitingSnapshot);

        Assert.Equal(IngestOutcome.Dropped, _fleet.ApplyDelta(Delta(4)).Outcome); // asked just now: no second request
        _now = _now.AddSeconds(3);
        Assert.Equal(IngestOutcome.SnapshotNeeded, _fleet.ApplyDelta(Delta(5)).Outcome); // still nothing: ask again

        var healed = _fleet.ApplySnapshot(Snap(seq: 6, ps: [P(1, 0, "/sbin/init"), P(7, 1, "/lost")], cs: []));
        Assert.Equal(IngestOutcome.Applied, healed.Outcome);
        Assert.False(_fleet.Get("h1")!.AwaitingSnapshot);
        // the resync is news for containers: this one stopped meanwhile
        Assert.Equal([FleetEventKinds.ContainerStop], healed.Events.Select(e => e.Kind));
        Assert.Equal(IngestOutcome.Duplicate, _fleet.ApplyDelta(Delta(5)).Outcome);
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplyDelta(Delta(7, ps: [Up(P(8, 1, "/next"))])).Outcome);
        Assert.Equal([1, 7, 8], _fleet.Get("h1")!.ToTree().Processes.Select(p => p.Pid));
    }

    [Fact]
    public void A_gap_says_where_it_starts_and_the_missing_deltas_sent_again_close_it()
    {
        _fleet.ApplySnapshot(Snap(seq: 1));
        var r = _fleet.ApplyDelta(Delta(4, ps: [Up(P(9, 1, "/after"))]));
        Assert.Equal(2L, r.Request!.FromSequence);
        Assert.Equal(IngestOutcome.Dropped, _fleet.ApplyDelta(Delta(5)).Outcome);
        // The agent sends 2.. again: 2 closes the gap, the rest follow in order.
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplyDelta(Delta(2, ps: [Up(P(7, 1, "/lost"))])).Outcome);
        Assert.False(_fleet.Get("h1")!.AwaitingSnapshot);
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplyDelta(Delta(3, ps: [Up(P(8, 1, "/lost-too"))])).Outcome);
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplyDelta(Delta(4, ps: [Up(P(9, 1, "/after"))])).Outcome);
        Assert.Equal([7, 8, 9], _fleet.Get("h1")!.ToTree().Processes.Select(p => p.Pid).Where(p => p is >= 7 and <= 9));

        // A heartbeat ahead: the deltas after the last applied one.
        _now = _now.AddSeconds(3);
        r = _fleet.ApplyHeartbeat(new AgentHeartbeat("h1", "i1", 6, T0, new AgentStats()));
        Assert.Equal((IngestOutcome.SnapshotNeeded, 5L), (r.Outcome, r.Request!.FromSequence));
        // A new incarnation has no deltas to send again.
        _now = _now.AddSeconds(10);
        _fleet.Sweep();
        Assert.Null(_fleet.ApplyDelta(Delta(1, inc: "i2")).Request!.FromSequence);
    }

    [Fact]
    public void An_unknown_host_or_incarnation_asks_for_a_snapshot_and_a_new_incarnation_replaces_the_old()
    {
        var r = _fleet.ApplyDelta(Delta(9, host: "new"));
        Assert.Equal(IngestOutcome.SnapshotNeeded, r.Outcome);
        Assert.Equal("unknown host", r.Request!.Reason);
        Assert.Equal(IngestOutcome.Dropped, _fleet.ApplyHeartbeat(new AgentHeartbeat("new", "i1", 9, T0, new AgentStats())).Outcome);
        Assert.Null(_fleet.Get("new"));

        _fleet.ApplySnapshot(Snap(seq: 50));
        _now += TimeSpan.FromSeconds(7);
        _fleet.Sweep(); // stale: the incarnation that held it no longer keeps it
        r = _fleet.ApplyDelta(Delta(1, inc: "i2"));
        Assert.Equal(IngestOutcome.SnapshotNeeded, r.Outcome);
        Assert.Equal(("i2", "new incarnation"), (r.Request!.Incarnation, r.Request.Reason));
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplySnapshot(Snap(inc: "i2", seq: 1, ps: [P(1, 0, "/sbin/init")])).Outcome);
        var h = _fleet.Get("h1")!;
        Assert.Equal(("i2", 1L), (h.Incarnation, h.Sequence));
        Assert.Equal([1], h.ToTree().Processes.Select(p => p.Pid));
        // the old incarnation's stragglers are not applied
        Assert.Equal(IngestOutcome.Refused, _fleet.ApplyDelta(Delta(51, inc: "i1")).Outcome);
    }

    [Fact]
    public void Without_TLS_the_incarnation_holding_an_up_host_keeps_it_and_a_second_one_is_a_conflict()
    {
        _fleet.ApplySnapshot(Snap(seq: 3));
        var second = Snap(inc: "i2", seq: 1, ps: [P(666, 1, "/bin/evil")]) with { AgentAddress = "akka.tcp://godo@10.9.9.9:1" };
        var r = _fleet.Apply(second);
        Assert.Equal((IngestOutcome.Refused, true), (r.Outcome, r.NewConflict));
        Assert.Equal(IngestOutcome.Refused, _fleet.Apply(new AgentHeartbeat("h1", "i2", 1, T0, new AgentStats(), "akka.tcp://godo@10.9.9.9:1")).Outcome);
        Assert.False(_fleet.Apply(Delta(2, inc: "i2")).NewConflict);
        var summary = _fleet.Hosts().Single();
        Assert.Equal(("akka.tcp://godo@10.9.9.9:1", 3L), (summary.Conflict!.AgentAddress, summary.Conflict.Refused));
        Assert.Equal([1, 100], _fleet.Get("h1")!.ToTree().Processes.Select(p => p.Pid)); // untouched
        Assert.Equal(IngestOutcome.Applied, _fleet.Apply(Delta(4)).Outcome); // the holder goes on

        _now += TimeSpan.FromSeconds(31);
        _fleet.Apply(new AgentHeartbeat("h1", "i1", 4, T0, new AgentStats()));
        _fleet.Sweep();
        Assert.Null(_fleet.Hosts().Single().Conflict); // quiet for down-after: forgotten
    }

    [Fact]
    public void Bad_host_names_are_refused()
    {
        Assert.Equal(IngestOutcome.Refused, _fleet.Apply(Snap(host: "h1/../x")).Outcome);
        Assert.Equal(IngestOutcome.Refused, _fleet.Apply(Snap(host: new string('a', 300))).Outcome);
        Assert.Equal(0, _fleet.HostCount);
    }

    [Fact]
    public void Under_TLS_a_host_is_taken_only_with_a_proof_from_its_own_certificate()
    {
        using var certs = new Godo.Aggregator.Tests.Infrastructure.FleetCertsDir();
        var trust = certs.Trust("agg-1", "aggregator");
        var fleet = new FleetState(new FleetOptions
        {
            StaleAfter = TimeSpan.FromSeconds(6), DownAfter = TimeSpan.FromSeconds(30), Retention = TimeSpan.FromMinutes(10),
            SnapshotRetry = TimeSpan.FromSeconds(2), Trust = trust,
        });
        var now = DateTimeOffset.UtcNow;
        var web1 = certs.Trust("h1", "agent").Certificate;
        var web2 = certs.Trust("h2", "agent").Certificate;
        using var otherCa = new Godo.Aggregator.Tests.Infrastructure.FleetCertsDir();
        var stranger = otherCa.Trust("h1", "agent").Certificate;
        HostSnapshot Signed(string inc, System.Security.Cryptography.X509Certificates.X509Certificate2 cert) =>
            Snap(inc: inc) with { Identity = Godo.Messages.Security.AgentProof.Sign(cert, "h1", inc, now) };

        Assert.Equal(IngestOutcome.Refused, fleet.Apply(Snap()).Outcome); // no proof
        Assert.Equal(IngestOutcome.Refused, fleet.Apply(Signed("i1", web2)).Outcome); // another host's certificate
        Assert.Equal(IngestOutcome.Refused, fleet.Apply(Signed("i1", stranger)).Outcome); // another CA
        Assert.Equal(0, fleet.HostCount);
        Assert.Equal(IngestOutcome.Applied, fleet.Apply(Signed("i1", web1)).Outcome);
        Assert.True(fleet.Hosts().Single().Verified);
        Assert.Equal(IngestOutcome.Refused, fleet.Apply(Signed("i2", stranger)).Outcome);
        Assert.Equal(IngestOutcome.SnapshotNeeded, fleet.Apply(Delta(2, inc: "i2")).Outcome); // not applied: a proof is asked for
        Assert.Equal(IngestOutcome.Applied, fleet.Apply(Delta(2)).Outcome);
        Assert.Equal(IngestOutcome.Applied, fleet.Apply(Signed("i3", web1)).Outcome); // the agent restarted: its proof takes over
        Assert.Equal(IngestOutcome.Applied, fleet.Apply(Snap(host: "local", inc: "x"), inProcess: true).Outcome); // the standalone's own agent
    }

    [Fact]
    public void A_heartbeat_ahead_of_our_sequence_means_a_lost_trailing_delta()
    {
        _fleet.ApplySnapshot(Snap(seq: 1));
        var ok = _fleet.ApplyHeartbeat(new AgentHeartbeat("h1", "i1", 1, T0, new AgentStats { Lost = 3 }));
        Assert.Equal(IngestOutcome.Applied, ok.Outcome);
        Assert.Equal(3, _fleet.Get("h1")!.Stats.Lost);
        var behind = _fleet.ApplyHeartbeat(new AgentHeartbeat("h1", "i1", 4, T0, new AgentStats()));
        Assert.Equal(IngestOutcome.SnapshotNeeded, behind.Outcome);
        Assert.StartsWith("behind", behind.Request!.Reason);
    }

    [Fact]
    public void A_snapshot_not_newer_than_our_state_is_a_repeat()
    {
        _fleet.ApplySnapshot(Snap(seq: 5));
        _fleet.ApplyDelta(Delta(6, ps: [Up(P(9, 1, "/nine"))]));
        Assert.Equal(IngestOutcome.Duplicate, _fleet.ApplySnapshot(Snap(seq: 5)).Outcome);
        Assert.Contains(_fleet.Get("h1")!.ToTree().Processes, p => p.Pid == 9);
    }

    [Fact]
    public void Removal_of_an_old_process_keeps_the_new_one_that_reused_its_pid()
    {
        _fleet.ApplySnapshot(Snap(seq: 1));
        _fleet.ApplyDelta(Delta(2, ps: [Up(P(300, 1, "/new", startMs: 9000))]));
        _fleet.ApplyDelta(Delta(3, ps: [Gone(P(300, 1, "/old", startMs: 5000))]));
        Assert.Equal("/new", _fleet.Get("h1")!.ToTree().Processes.Single(p => p.Pid == 300).Exe);
    }

    [Fact]
    public void Status_goes_up_stale_down_and_back_up_and_down_hosts_are_forgotten_after_the_retention()
    {
        _fleet.ApplySnapshot(Snap());
        _now = T0.AddSeconds(5);
        Assert.Empty(_fleet.Sweep());
        _now = T0.AddSeconds(7);
        Assert.Equal(FleetEventKinds.HostStale, Assert.Single(_fleet.Sweep()).Kind);
        Assert.Equal(HostStatus.Stale, _fleet.Get("h1")!.Status);
        var back = _fleet.ApplyHeartbeat(new AgentHeartbeat("h1", "i1", 1, _now, new AgentStats()));
        Assert.Equal(FleetEventKinds.HostUp, Assert.Single(back.Events).Kind);
        _now = _now.AddSeconds(31);
        var down = _fleet.Sweep();
        Assert.Equal(FleetEventKinds.HostDown, Assert.Single(down).Kind);
        Assert.Equal(HostStatus.Down, _fleet.Get("h1")!.Status);
        Assert.Equal(2, _fleet.Get("h1")!.ToTree().Processes.Length); // still visible
        _now = _now.AddMinutes(9);
        _fleet.Sweep();
        Assert.NotNull(_fleet.Get("h1"));
        _now = _now.AddMinutes(2);
        Assert.Equal(FleetEventKinds.HostRemoved, Assert.Single(_fleet.Sweep()).Kind);
        Assert.Null(_fleet.Get("h1"));
    }

    [Fact]
    public void An_unreachable_client_makes_its_hosts_stale_and_down_only_after_the_restart_grace()
    {
        _fleet.ApplySnapshot(Snap());
        _fleet.ApplySnapshot(Snap(host: "other") with { AgentAddress = "akka.tcp://b@127.0.0.1:2" });
        Assert.Empty(_fleet.MarkUnreachable("akka.tcp://a@127.0.0.1:1")); // heard from < 3 s ago: it moved receptionist
        _now = T0.AddSeconds(4);
        var events = _fleet.MarkUnreachable("akka.tcp://a@127.0.0.1:1");
        Assert.Equal(("h1", FleetEventKinds.HostStale, "agent disconnected"), (Assert.Single(events).Host, events[0].Kind, events[0].Reason));
        Assert.Equal(HostStatus.Up, _fleet.Get("other")!.Status);
        _now = T0.AddSeconds(14); // an agent restarting (kill -9, then its supervisor) is not down yet
        _fleet.ApplyHeartbeat(new AgentHeartbeat("other", "i1", 1, _now, new AgentStats()));
        Assert.DoesNotContain(_fleet.Sweep(), e => e.Host == "h1");
        Assert.Equal(HostStatus.Stale, _fleet.Get("h1")!.Status);
        _now = T0.AddSeconds(16);
        var down = Assert.Single(_fleet.Sweep(), e => e.Host == "h1");
        Assert.Equal((FleetEventKinds.HostDown, "agent disconnected"), (down.Kind, down.Reason));
        // it comes back: a heartbeat brings it up
        _fleet.ApplyHeartbeat(new AgentHeartbeat("h1", "i1", 1, _now, new AgentStats()));
        Assert.Equal(HostStatus.Up, _fleet.Get("h1")!.Status);
    }

    [Fact]
    public void A_restarted_agent_brings_its_disconnected_host_back_up_without_a_down()
    {
        _fleet.ApplySnapshot(Snap());
        _now = T0.AddSeconds(5);
        Assert.Equal(FleetEventKinds.HostStale, Assert.Single(_fleet.MarkUnreachable("akka.tcp://a@127.0.0.1:1")).Kind);
        _now = T0.AddSeconds(8);
        var back = _fleet.ApplySnapshot(Snap(inc: "i2") with { AgentAddress = "akka.tcp://a@127.0.0.1:7" });
        Assert.Equal(HostStatus.Up, _fleet.Get("h1")!.Status);
        _now = T0.AddSeconds(25); // silent for longer than the restart grace, but the disconnection was the old incarnation's
        Assert.All(_fleet.Sweep(), e => Assert.NotEqual(FleetEventKinds.HostDown, e.Kind));
        Assert.Equal(HostStatus.Stale, _fleet.Get("h1")!.Status);
        Assert.DoesNotContain(back.Events, e => e.Kind == FleetEventKinds.HostDown);
    }

    [Fact]
    public void Containers_are_found_by_id_name_or_unique_prefix_and_processes_filtered()
    {
        _fleet.ApplySnapshot(Snap(ps: [P(1, 0, "/sbin/init"), P(100, 1, "/bin/sh", Cid, argv: ["sh", "-c", "sleep 5"]), P(200, 1, "/bin/sleep", Cid2, argv: ["sleep", "9"])],
            cs: [C(Cid, "/web"), C(Cid2, "db")]));
        Assert.Equal(Cid, _fleet.FindContainer(Cid).Detail!.Container.Id);
        Assert.Equal(Cid, _fleet.FindContainer("web").Detail!.Container.Id);
        Assert.Equal(Cid2, _fleet.FindContainer("aaaaaaaaaaab").Detail!.Container.Id);
        Assert.Equal([100], _fleet.FindContainer("web").Detail!.Processes.Select(p => p.Pid));
        Assert.Equal(2, _fleet.FindContainer("aaaa").Ambiguous.Count);
        Assert.Null(_fleet.FindContainer("zzz").Detail);
        Assert.Null(_fleet.FindContainer("web", host: "nope").Detail);

        Assert.Equal([100], _fleet.Processes(new ProcessQuery(Container: "web")).Select(v => v.Process.Pid));
        Assert.Equal([100, 200], _fleet.Processes(new ProcessQuery(Argv: "sleep")).Select(v => v.Process.Pid));
        Assert.Equal([200], _fleet.Processes(new ProcessQuery(Exe: "/bin/sleep")).Select(v => v.Process.Pid));
        Assert.Equal(2, _fleet.Containers().Count);
        Assert.Empty(_fleet.Containers("nope"));
    }

    [Fact]
    public void Repeated_strings_are_stored_once()
    {
        _fleet.ApplySnapshot(Snap(ps: [P(100, 1, new string("/bin/sh".ToCharArray()), new string(Cid.ToCharArray())), P(101, 1, new string("/bin/sh".ToCharArray()), new string(Cid.ToCharArray()))]));
        var ps = _fleet.Get("h1")!.ToTree().Processes;
        Assert.Same(ps[0].Container, ps[1].Container);
        Assert.Same(ps[0].Exe, ps[1].Exe);
    }

    [Fact]
    public void A_down_host_keeps_its_whole_tree_only_for_the_tree_retention_then_its_summary()
    {
        _fleet.ApplySnapshot(Snap());
        _now += TimeSpan.FromSeconds(31);
        _fleet.Sweep(); // down: no heartbeat for 31 s
        var h = _fleet.Get("h1")!;
        Assert.Equal(HostStatus.Down, h.Status);
        Assert.False(h.TreeReleased);
        _now += TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1);
        _fleet.Sweep();
        Assert.True(h.TreeReleased);
        Assert.Empty(h.ToTree().Processes);
        var summary = h.Summary();
        Assert.Equal((2, 1, true), (summary.ProcessCount, summary.ContainerCount, summary.TreeReleased)); // counts and containers stay
        Assert.Single(_fleet.Containers("h1"));

        // its agent comes back: a heartbeat asks for the tree again, and the snapshot brings it back
        var hb = _fleet.Apply(new AgentHeartbeat("h1", "i1", 1, T0, new AgentStats()));
        Assert.Equal(IngestOutcome.SnapshotNeeded, hb.Outcome);
        Assert.Equal(IngestOutcome.Applied, _fleet.ApplySnapshot(Snap(seq: 2)).Outcome);
        Assert.False(h.TreeReleased);
        Assert.Equal(2, h.ToTree().Processes.Length);
    }

    [Fact]
    public void The_aggregator_cuts_argv_to_its_own_cap_whatever_the_agent_sent()
    {
        var fleet = new FleetState(new FleetOptions
        {
            StaleAfter = TimeSpan.FromSeconds(6), DownAfter = TimeSpan.FromSeconds(30), Retention = TimeSpan.FromMinutes(10),
            SnapshotRetry = TimeSpan.FromSeconds(2), Caps = new ProcessCaps { ArgvBytes = 4096 },
        }, () => _now);
        var huge = P(300, 1, "/bin/node", null, 1000, null, "node", new string('x', 1_000_000));
        fleet.ApplySnapshot(Snap(ps: [P(1, 0, "/sbin/init"), huge]));
        Assert.Equal(IngestOutcome.Applied, fleet.ApplyDelta(Delta(2, ps: [Up(huge with { Pid = 301 })])).Outcome);
        // The feed (its own messages, no longer derived from deltas) is cut to the feed's bound, whatever the agent sent.
        var exec = Assert.Single(fleet.ApplyFeed(new HostFeed("h1", "i1", 1, [Fe(1, FeedEventKind.Exec, 301, Cid, "node", new string('x', 1_000_000))])).Events);
        Assert.True(exec.ArgvTruncated);
        Assert.True(exec.Argv.Sum(a => a.Length) <= FeedLimits.ArgvChars, "the feed carries a capped argv");
        foreach (var p in fleet.Get("h1")!.ToTree().Processes.Where(p => p.Pid >= 300))
        {
            Assert.True(p.ArgvTruncated);
            Assert.Equal((1_000_006, 2), (p.ArgvBytes, p.ArgvCount));
            Assert.True(p.Argv.Sum(a => a.Length + 1) <= 4096);
        }
    }
}
