using System.Collections.Immutable;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Messages.Tests.Wire;

/// <summary>One fully populated instance of every wire message (every field set, so a dropped field shows).</summary>
public static class WireSamples
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_795_921_864_791);
    private const string Cid = "4f2a9c0d1e3b5a6c7d8e9f00112233445566778899aabbccddeeff0011223344";

    public static readonly AgentStats Stats = new()
    {
        Version = "0.1.0", StartedAt = T0, RecordsPerSecond = 1234.5, EventsPerSecond = 321.25, Records = 10, Events = 5,
        Malformed = 1, Lost = 2, Backlog = 3, Corrections = 4, Source = "netlink", ProcEvents = 6, ExitSources = ["audit", "proc-events"],
        BufferOverflows = 7, DeltasDiscarded = 8, SnapshotsAbandoned = 9,
    };

    public static readonly ProcessInfo Shell = new()
    {
        Pid = 4242, Ppid = 4200, Comm = "sh", Exe = "/bin/sh", Argv = ["sh", "-c", "echo \"hi\" ünïcødé"], Cwd = "/",
        Uid = 0, Container = Cid, NsPid = 7, StartedAt = T0, ExitedAt = T0.AddSeconds(1),
    };

    public static readonly ProcessInfo HostProcess = new() { Pid = 1, Ppid = 0, Comm = "systemd" };

    public static readonly ProcessInfo CutArgv = new()
    {
        Pid = 77, Ppid = 1, Comm = "node", Argv = ["node", "-e", "x"], ArgvTruncated = true, ArgvBytes = 1_900_000, ArgvCount = 12,
    };

    public static readonly ContainerInfo Container = new()
    {
        Id = Cid, Name = "web", Image = "nginx:1.27", InitPid = 4100, ShimPid = 4090, ProcessCount = 3, State = "running",
        StartedAt = T0, Labels = ImmutableDictionary<string, string>.Empty.Add("com.example", "x"),
    };

    public static IEnumerable<IGodoWireMessage> All()
    {
        yield return new HostSnapshot("web-1", "b1f0a7c2", 17, T0, [Shell, HostProcess], [Container], Stats, "akka.tcp://godo-agent@127.0.0.1:4100",
            EventTime: T0.AddMilliseconds(-250));
        yield return new HostSnapshot("web-2", "c0ffee", 1, T0, [], [], Stats, "akka.ssl.tcp://godo@10.0.0.2:4100",
            new AgentIdentity("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", T0, "MEUCIQ=="));
        yield return new HostSnapshot("empty", "inc", 1, T0, [], [], new AgentStats());
        yield return new HostDelta("web-1", "b1f0a7c2", 18, T0,
            [new ProcessChange(ProcessChangeKind.Upsert, Shell, T0), new ProcessChange(ProcessChangeKind.Exited, HostProcess, T0.AddMilliseconds(5), ExitCode: 1, Signal: 15),
             new ProcessChange(ProcessChangeKind.Removed, Shell)],
            [new ContainerChange(ContainerChangeKind.Upsert, Container, T0), new ContainerChange(ContainerChangeKind.Gone, Container)], EventTime: T0.AddMilliseconds(7));
        yield return new AgentHeartbeat("web-1", "b1f0a7c2", 18, T0, Stats, "akka.tcp://godo-agent@127.0.0.1:4100");
        yield return new SnapshotRequest("web-1", "b1f0a7c2", "gap: expected 19, got 21", FromSequence: 19);
        yield return new AgentUnreachable("akka.tcp://godo-agent@127.0.0.1:4100", T0);
        yield return new HostFeed("web-1", "b1f0a7c2", 41,
        [
            new FeedEvent { Kind = FeedEventKind.Exec, Seq = 41, At = T0, ReceivedAt = T0.AddMilliseconds(3), Pid = 1003, Ppid = 1001, Exe = "/bin/sh",
                Argv = ["sh", "-c", "dat"], ArgvTruncated = true, Uid = 0, Container = Container.Id },
            new FeedEvent { Kind = FeedEventKind.Exit, Seq = 42, At = T0.AddSeconds(1), ReceivedAt = T0.AddSeconds(1), Pid = 1003, Ppid = 1001,
                Exe = "/bin/sh", Argv = ["sh"], ExitCode = 0, Signal = 9, Cause = ExitCauses.Killed },
        ], Dropped: 3);
        yield return new SnapshotChunk("web-1", "b1f0a7c2", 17, 0, [Shell, CutArgv],
            new SnapshotHeader(T0, [Container], Stats, "akka.tcp://godo-agent@127.0.0.1:4100",
                new AgentIdentity("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", T0, "MEUCIQ=="), T0.AddMilliseconds(-250)), Count: 1);
        yield return new IngestAck("web-1", "b1f0a7c2", 17, 3, "akka.tcp://godo@10.0.0.1:4053");
        // Between aggregators: the host entities' directory, queries and answers, and their fleet events.
        var summary = new HostSummary { Host = "web-1", Status = HostStatus.Up, LastSeen = T0, AsOf = T0, ProcessCount = 2, ContainerCount = 1, Sequence = 18, Stats = Stats };
        yield return new HostDirectoryEntry(summary, [Container], "akka.tcp://godo@10.0.0.1:4053");
        yield return new HostDirectoryEntry(summary with { Status = HostStatus.Down }, [], "akka.tcp://godo@10.0.0.2:4053", Removed: true);
        yield return new HostTreeQuery("web-1", IncludeExited: true, Container: Container.Id, Exe: "sh", Argv: "-c", Limit: 100, AnswerBy: 1_795_921_869_586, QueryId: 7_340_129_004_118_823_301);
        yield return new HostTreeReply("web-1", new HostTree { Host = "web-1", AsOf = T0, Processes = [Shell, CutArgv], Containers = [Container] }, Summary: summary);
        yield return new HostTreeReply("gone", null, 410, "its tree is no longer held");
        yield return new HostAgentLost("web-1", "akka.tcp://godo-agent@127.0.0.1:4100");
        yield return new FleetEventBatch([new FleetEvent { Kind = FleetEventKinds.Exec, Host = "web-1", At = T0, Pid = 42, Container = Container.Id }]);
    }
}
