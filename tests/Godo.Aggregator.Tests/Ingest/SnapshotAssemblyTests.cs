using System.Collections.Immutable;
using Godo.Aggregator.Ingest;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.Ingest;

public sealed class SnapshotAssemblyTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_795_900_000);
    private readonly SnapshotAssembly _assembly = new(ProcessCaps.Default, TimeSpan.FromSeconds(30));

    private static readonly SnapshotHeader Header = new(T0, [new ContainerInfo { Id = "c1", Name = "web" }], new AgentStats { Records = 9 }, "akka.tcp://a@127.0.0.1:1");

    /// <summary>Snapshot <paramref name="seq"/> of incarnation <paramref name="inc"/> in <paramref name="count"/> pieces of 3 processes each.</summary>
    private static List<SnapshotChunk> Pieces(int count, string inc = "i1", long seq = 1, string host = "h1") =>
        Enumerable.Range(0, count).Select(i => new SnapshotChunk(host, inc, seq, i,
            [.. Enumerable.Range(i * 3 + 1, 3).Select(pid => new ProcessInfo { Pid = pid, Ppid = 1, Argv = [$"p{pid}"] })],
            i == 0 ? Header : null, i == count - 1 ? count : null)).ToList();

    private static void AssertWhole(HostSnapshot? s, int pieces, string inc = "i1", long seq = 1)
    {
        Assert.NotNull(s);
        Assert.Equal((inc, seq, T0, "akka.tcp://a@127.0.0.1:1"), (s.Incarnation, s.Sequence, s.AsOf, s.AgentAddress));
        Assert.Equal(Enumerable.Range(1, pieces * 3), s.Processes.Select(p => p.Pid));
        Assert.Equal("web", Assert.Single(s.Containers).Name);
        Assert.Equal(9, s.Stats.Records);
    }

    [Fact]
    public void Pieces_in_order_make_the_snapshot_at_the_last_one()
    {
        var pieces = Pieces(4);
        foreach (var c in pieces.Take(3)) Assert.Equal(ChunkOutcome.Kept, _assembly.Add(c, T0).Outcome);
        Assert.True(_assembly.Assembling("h1", "i1"));
        var last = _assembly.Add(pieces[3], T0);
        Assert.Equal(ChunkOutcome.Completed, last.Outcome);
        AssertWhole(last.Snapshot, 4);
        Assert.False(_assembly.Assembling("h1", "i1"));
        Assert.Equal(0, _assembly.Abandoned);
    }

    [Fact]
    public void Pieces_out_of_order_and_repeated_make_the_same_snapshot_once()
    {
        var pieces = Pieces(5);
        var seen = new HashSet<int>();
        foreach (var i in new[] { 4, 2, 2, 0, 4, 1 })
            Assert.Equal(seen.Add(i) ? ChunkOutcome.Kept : ChunkOutcome.Duplicate, _assembly.Add(pieces[i], T0).Outcome);
        var done = _assembly.Add(pieces[3], T0);
        Assert.Equal(ChunkOutcome.Completed, done.Outcome);
        AssertWhole(done.Snapshot, 5);
        // a piece repeated after the end is stale: it starts nothing
        Assert.Equal(ChunkOutcome.Stale, _assembly.Add(pieces[1], T0).Outcome);
        Assert.Equal(0, _assembly.InProgress);
    }

    [Fact]
    public void A_newer_snapshot_replaces_an_unfinished_one_and_an_older_piece_is_stale()
    {
        var first = Pieces(3, seq: 1);
        _assembly.Add(first[0], T0);
        _assembly.Add(first[1], T0);
        var second = Pieces(2, seq: 7);
        Assert.Equal(ChunkOutcome.Kept, _assembly.Add(second[0], T0).Outcome);
        Assert.Equal(1, _assembly.Abandoned);
        Assert.Equal(ChunkOutcome.Stale, _assembly.Add(first[2], T0).Outcome);
        var done = _assembly.Add(second[1], T0);
        AssertWhole(done.Snapshot, 2, seq: 7);

        // another incarnation (the agent restarted) replaces it too, whatever its sequence
        _assembly.Add(Pieces(2, inc: "i1", seq: 9)[0], T0);
        var restarted = Pieces(2, inc: "i2", seq: 1);
        _assembly.Add(restarted[1], T0);
        Assert.Equal(2, _assembly.Abandoned);
        AssertWhole(_assembly.Add(restarted[0], T0).Snapshot, 2, inc: "i2");
    }

    [Fact]
    public void A_snapshot_whose_pieces_stop_coming_is_dropped_after_the_timeout()
    {
        var pieces = Pieces(3);
        _assembly.Add(pieces[0], T0);
        _assembly.Add(pieces[1], T0.AddSeconds(20));
        Assert.Equal(0, _assembly.Sweep(T0.AddSeconds(45)));
        Assert.Equal(1, _assembly.Sweep(T0.AddSeconds(51)));
        Assert.False(_assembly.Assembling("h1", "i1"));
        Assert.Equal(1, _assembly.Abandoned);
        // its last piece alone now starts a new (incomplete) assembly, never a partial snapshot
        Assert.Equal(ChunkOutcome.Kept, _assembly.Add(pieces[2], T0.AddSeconds(52)).Outcome);
    }

    [Fact]
    public void Hosts_assemble_side_by_side()
    {
        var a = Pieces(2, host: "a");
        var b = Pieces(2, host: "b");
        _assembly.Add(a[0], T0);
        _assembly.Add(b[0], T0);
        Assert.Equal(2, _assembly.InProgress);
        Assert.Equal("b", _assembly.Add(b[1], T0).Snapshot!.Host);
        Assert.Equal("a", _assembly.Add(a[1], T0).Snapshot!.Host);
        Assert.Equal(0, _assembly.Abandoned);
    }

    [Fact]
    public void Each_piece_is_cut_to_the_aggregators_cap_as_it_arrives()
    {
        var assembly = new SnapshotAssembly(new ProcessCaps { ArgvBytes = 4096 }, TimeSpan.FromSeconds(30));
        var chunk = new SnapshotChunk("h1", "i1", 1, 0, [new ProcessInfo { Pid = 5, Ppid = 1, Argv = ["x", new string('a', 100_000)] }], Header, 1);
        var p = Assert.Single(assembly.Add(chunk, T0).Snapshot!.Processes);
        Assert.True(p.ArgvTruncated);
        Assert.Equal((100_003, 2), (p.ArgvBytes, p.ArgvCount));
        Assert.True(p.Argv.Sum(a => a.Length + 1) <= 4096);
    }
}
