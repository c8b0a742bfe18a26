using System.Collections.Immutable;

namespace Godo.Aggregator.Storage;

/// <summary>
/// Events of one persistence id in a stretch of time: sequence numbers <see cref="FirstSeqNr"/>..<see cref="LastSeqNr"/>,
/// written from <see cref="From"/> to <see cref="To"/>, <see cref="Bytes"/> stored.
/// </summary>
public sealed record LedgerBucket(long FirstSeqNr, long LastSeqNr, DateTimeOffset From, DateTimeOffset To, long Bytes);

/// <summary>What to delete now: messages up to <see cref="DeleteMessagesTo"/>, snapshots up to <see cref="DeleteSnapshotsTo"/>.</summary>
public sealed record RetentionCut(long DeleteMessagesTo, long DeleteSnapshotsTo);

/// <summary>
/// The bookkeeping a persistent entity keeps of its own journal (in its snapshot, so it survives a restart): events
/// by time bucket, its snapshots, and how far it has deleted. Immutable: each call returns the next ledger. Buckets
/// of <see cref="JournalRetention.BucketSpan"/> keep it at about ten thousand entries for a week, whatever the rate.
/// </summary>
public sealed record JournalLedger(ImmutableList<LedgerBucket> Buckets, ImmutableList<long> Snapshots, long DeletedTo)
{
    public static JournalLedger Empty { get; } = new([], [], 0);

    /// <summary>Bytes of the events still stored.</summary>
    public long Bytes => Buckets.Sum(b => b.Bytes);

    /// <summary>The newest snapshot, 0 when none.</summary>
    public long LatestSnapshot => Snapshots.IsEmpty ? 0 : Snapshots[^1];

    /// <summary>Events <paramref name="seqNr"/> (the last of a batch of <paramref name="count"/>) written at <paramref name="at"/>.</summary>
    public JournalLedger Persisted(long seqNr, DateTimeOffset at, long bytes, int count = 1)
    {
        if (!Buckets.IsEmpty && Buckets[^1] is var last && at - last.From < JournalRetention.BucketSpan && seqNr > last.LastSeqNr)
            return this with { Buckets = Buckets.SetItem(Buckets.Count - 1, last with { LastSeqNr = seqNr, To = Max(last.To, at), Bytes = last.Bytes + bytes }) };
        return this with { Buckets = Buckets.Add(new LedgerBucket(seqNr - count + 1, seqNr, at, at, bytes)) };
    }

    public JournalLedger Snapshotted(long seqNr) =>
        Snapshots.Contains(seqNr) ? this : this with { Snapshots = Snapshots.Add(seqNr).Sort() };

    /// <summary>After the journal confirmed DeleteMessages(to) and DeleteSnapshots(to): forget what is gone.</summary>
    public JournalLedger Deleted(RetentionCut cut)
    {
        var buckets = Buckets.RemoveAll(b => b.LastSeqNr <= cut.DeleteMessagesTo);
        // A bucket cut in two keeps its later part; its bytes are spread evenly over its events.
        if (!buckets.IsEmpty && buckets[0].FirstSeqNr <= cut.DeleteMessagesTo)
        {
            var b = buckets[0];
            var kept = b.LastSeqNr - cut.DeleteMessagesTo;
            buckets = buckets.SetItem(0, b with { FirstSeqNr = cut.DeleteMessagesTo + 1, Bytes = b.Bytes * kept / (b.LastSeqNr - b.FirstSeqNr + 1) });
        }
        return new(buckets, Snapshots.RemoveAll(s => s <= cut.DeleteSnapshotsTo), Math.Max(DeletedTo, cut.DeleteMessagesTo));
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>
/// How much of its journal a persistent entity may delete: events older than the retention, or beyond its share
/// of the byte budget, oldest first, but never past its newest snapshot (recovery needs that snapshot and every
/// event after it). Snapshots older than the cut go too: the events after them are partly gone.
/// </summary>
public static class JournalRetention
{
    public static readonly TimeSpan BucketSpan = TimeSpan.FromMinutes(1);

    /// <summary>Each entity's share of the store-wide budget, so the store holds about <paramref name="totalBytes"/> in all.</summary>
    public static long ShareOf(long totalBytes, int entities) => totalBytes / Math.Max(1, entities);

    /// <summary>
    /// What to delete at <paramref name="now"/>, or null when nothing; <paramref name="snapshotFirst"/> says that the
    /// limits want more gone than the newest snapshot allows: take a snapshot, then ask again.
    /// </summary>
    public static RetentionCut? Decide(JournalLedger ledger, DateTimeOffset now, TimeSpan maxAge, long maxBytes, out bool snapshotFirst)
    {
        var horizon = now - maxAge;
        long wanted = ledger.DeletedTo;
        // Whole buckets only for time: a bucket goes once its last event is older than the horizon.
        foreach (var b in ledger.Buckets)
        {
            if (b.To >= horizon) break;
            wanted = Math.Max(wanted, b.LastSeqNr);
        }
        var bytes = ledger.Bytes;
        foreach (var b in ledger.Buckets)
        {
            if (bytes <= maxBytes) break;
            wanted = Math.Max(wanted, b.LastSeqNr);
            bytes -= b.Bytes;
        }
        var cut = Math.Min(wanted, ledger.LatestSnapshot);
        snapshotFirst = wanted > ledger.LatestSnapshot;
        if (cut <= ledger.DeletedTo && !ledger.Snapshots.Any(s => s < cut)) return null;
        return new RetentionCut(cut, cut - 1);
    }
}
