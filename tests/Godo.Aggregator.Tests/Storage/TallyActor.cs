using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Godo.Aggregator.Storage;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.Storage;

[PersistedAs("test-counted")]
public sealed record Counted(int N, string? Note = null) : IPersistedRecord;

[PersistedAs("test-tally")]
public sealed record Tally(IReadOnlyList<int> Values, int Deltas) : IPersistedRecord;

/// <summary>
/// A small event-sourced actor on the real journal and snapshot store: it persists numbers (through the journal
/// serializer) and host deltas (through the wire serializer), snapshots its tally on request, and tells how it recovered.
/// </summary>
public sealed class TallyActor : ReceivePersistentActor
{
    public sealed record Count(IReadOnlyList<int> Values);
    public sealed record RecordDelta(HostDelta Delta);
    public sealed record Snapshot;
    public sealed record Report;
    public sealed record Done(long SequenceNr);
    public sealed record Recovery(Tally Tally, long? SnapshotAt, int Replayed, long LastSequenceNr);

    private Tally _tally = new([], 0);
    private long? _snapshotAt;
    private int _replayed;
    private IActorRef? _snapshotWaiter;

    public TallyActor(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<SnapshotOffer>(offer => { _tally = (Tally)offer.Snapshot; _snapshotAt = offer.Metadata.SequenceNr; });
        Recover<Counted>(e => { Apply(e); _replayed++; });
        Recover<HostDelta>(_ => { _tally = _tally with { Deltas = _tally.Deltas + 1 }; _replayed++; });
        Command<Count>(c =>
        {
            // As an entity batches a burst: one write for all, the reply once the last is stored.
            PersistAll(c.Values.Select(n => new Counted(n)), Apply);
            var sender = Sender;
            DeferAsync(c, _ => sender.Tell(new Done(LastSequenceNr)));
        });
        Command<RecordDelta>(r => Persist(r.Delta, _ =>
        {
            _tally = _tally with { Deltas = _tally.Deltas + 1 };
            Sender.Tell(new Done(LastSequenceNr));
        }));
        Command<Snapshot>(_ => { _snapshotWaiter = Sender; SaveSnapshot(_tally); });
        Command<SaveSnapshotSuccess>(s => _snapshotWaiter?.Tell(new Done(s.Metadata.SequenceNr)));
        Command<SaveSnapshotFailure>(f => _snapshotWaiter?.Tell(new Status.Failure(f.Cause)));
        Command<Report>(_ => Sender.Tell(new Recovery(_tally, _snapshotAt, _replayed, LastSequenceNr)));
    }

    public override string PersistenceId { get; }

    private void Apply(Counted e) => _tally = _tally with { Values = [.. _tally.Values, e.N] };

    public static Props Props(string persistenceId) => Akka.Actor.Props.Create(() => new TallyActor(persistenceId));

    /// <summary>A delta of the size agents send in a burst: a few execs with argv, cwd and a container.</summary>
    public static HostDelta SampleDelta(long sequence) => new("host-a", "inc-1", sequence, DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + sequence),
        [.. Enumerable.Range(0, 4).Select(i => new ProcessChange(ProcessChangeKind.Upsert, new ProcessInfo
        {
            Pid = 1000 + (int)sequence * 4 + i, Ppid = 1, Comm = "sh", Exe = "/bin/busybox", Argv = ["sh", "-c", $"sleep {i}"],
            Cwd = "/", Uid = 0, Container = new string('c', 64), NsPid = 10 + i, StartedAt = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000),
        }))],
        []);
}
