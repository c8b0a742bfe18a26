using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Storage;

/// <summary>
/// At start, one round of what a host entity does to the store: recover, persist an event, save a snapshot, delete
/// both; then it stops. <see cref="StorageCheck"/> only opens the store, so a store that refuses writes (a read-only
/// file, a role without INSERT) showed up minutes later, at an entity's first snapshot; now it is one error line at
/// start. It also compiles that path (linq2db builds and compiles each statement on first use: about 270 methods, a
/// quarter of a second of CPU) while the aggregator starts, not in the middle of its rest two minutes later.
/// Its persistence id is this member's own, so members sharing a PostgreSQL never write the same one.
/// </summary>
public sealed class StoreWriteCheck : ReceivePersistentActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _id;

    public StoreWriteCheck(string memberAddress)
    {
        _id = "store-check-" + memberAddress;
        Recover<object>(_ => { }); // a check a crash left behind: deleted below with this one's
        Command<Run>(_ => Persist(Sample(_id), _ => SaveSnapshot(Sample(_id))));
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(long.MaxValue));
        });
        Command<DeleteMessagesSuccess>(_ => Passed());
        Command<DeleteSnapshotsSuccess>(_ => Passed());
        Command<SaveSnapshotFailure>(f => Failed("save a snapshot", f.Cause));
        Command<DeleteMessagesFailure>(f => Failed("delete events", f.Cause));
        Command<DeleteSnapshotsFailure>(f => Failed("delete snapshots", f.Cause));
    }

    public override string PersistenceId => _id;

    private int _deleted;

    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();
        Self.Tell(Run.Instance);
    }

    private void Passed()
    {
        if (++_deleted < 2) return;
        _log.Debug("the store took a write and a delete: {0}", _id);
        Context.Stop(Self);
    }

    private void Failed(string what, Exception cause)
    {
        _log.Error("the store refused to {0} at start ({1}): host entities will fail the same way", what, cause.GetBaseException().Message);
        Context.Stop(Self);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error("the store refused to persist an event at start ({0}): host entities will fail the same way", cause.GetBaseException().Message);
        base.OnPersistFailure(cause, @event, sequenceNr); // stops this actor
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error("the store could not be read at start ({0}): host entities will fail the same way", reason.GetBaseException().Message);
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>What an entity persists and snapshots: a host's snapshot (an empty one), through the same serializer.</summary>
    private static HostSnapshot Sample(string id) =>
        new(id, "store-check", 0, DateTimeOffset.UtcNow, ImmutableArray<Godo.Messages.Model.ProcessInfo>.Empty,
            ImmutableArray<Godo.Messages.Model.ContainerInfo>.Empty, new AgentStats());

    private sealed record Run
    {
        public static readonly Run Instance = new();
    }
}
