using Godo.Aggregator.Storage;

namespace Godo.Aggregator.Tests.Storage;

public sealed class JournalRetentionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    /// <summary>One event of 100 bytes a minute (so one bucket each) for <paramref name="minutes"/> minutes.</summary>
    private static JournalLedger Minutes(int minutes, JournalLedger? ledger = null)
    {
        ledger ??= JournalLedger.Empty;
        for (var i = 1; i <= minutes; i++) ledger = ledger.Persisted(i, T0.AddMinutes(i - 1), 100);
        return ledger;
    }

    [Fact]
    public void Events_of_one_minute_share_a_bucket_and_a_batch_counts_all_its_events()
    {
        var ledger = JournalLedger.Empty.Persisted(5, T0, 500, count: 5).Persisted(6, T0.AddSeconds(30), 100).Persisted(7, T0.AddSeconds(61), 100);
        Assert.Equal([new LedgerBucket(1, 6, T0, T0.AddSeconds(30), 600), new LedgerBucket(7, 7, T0.AddSeconds(61), T0.AddSeconds(61), 100)], ledger.Buckets);
        Assert.Equal(700, ledger.Bytes);
    }

    [Fact]
    public void Nothing_goes_inside_the_retention_and_the_budget()
    {
        var ledger = Minutes(60).Snapshotted(60);
        Assert.Null(JournalRetention.Decide(ledger, T0.AddHours(1), Week, long.MaxValue, out var snapshotFirst));
        Assert.False(snapshotFirst);
    }

    [Fact]
    public void Events_older_than_the_retention_go_up_to_the_newest_snapshot_and_older_snapshots_with_them()
    {
        var ledger = Minutes(60).Snapshotted(10).Snapshotted(30).Snapshotted(50);
        // At 59:30 with a 20-minute retention, the events of minutes 0..39 (seq 1..40) are older than the horizon.
        var now = T0.AddMinutes(59.5);
        var cut = JournalRetention.Decide(ledger, now, TimeSpan.FromMinutes(20), long.MaxValue, out var snapshotFirst);
        Assert.Equal(new RetentionCut(40, 39), cut);
        Assert.False(snapshotFirst);

        ledger = ledger.Deleted(cut!);
        Assert.Equal(41, ledger.Buckets[0].FirstSeqNr);
        Assert.Equal([50L], ledger.Snapshots);
        Assert.Equal(40, ledger.DeletedTo);
        Assert.Equal(2000, ledger.Bytes);
        Assert.Null(JournalRetention.Decide(ledger, now, TimeSpan.FromMinutes(20), long.MaxValue, out _));
    }

    [Fact]
    public void Never_past_the_newest_snapshot_and_it_asks_for_one()
    {
        var ledger = Minutes(60).Snapshotted(20);
        var cut = JournalRetention.Decide(ledger, T0.AddDays(30), Week, long.MaxValue, out var snapshotFirst);
        Assert.Equal(new RetentionCut(20, 19), cut);
        Assert.True(snapshotFirst);

        Assert.Null(JournalRetention.Decide(Minutes(60), T0.AddDays(30), Week, long.MaxValue, out snapshotFirst));
        Assert.True(snapshotFirst); // no snapshot at all: nothing may go until there is one
    }

    [Fact]
    public void Over_the_byte_budget_the_oldest_go_first_whatever_their_age()
    {
        var ledger = Minutes(100).Snapshotted(100); // 10 000 bytes
        var cut = JournalRetention.Decide(ledger, T0.AddMinutes(100), Week, maxBytes: 2500, out var snapshotFirst);
        Assert.Equal(new RetentionCut(75, 74), cut); // 25 events of 100 bytes stay
        Assert.False(snapshotFirst);
        Assert.Equal(2500, ledger.Deleted(cut!).Bytes);
    }

    [Fact]
    public void A_bucket_cut_in_two_keeps_its_share_of_the_bytes()
    {
        var ledger = JournalLedger.Empty.Persisted(10, T0, 1000, count: 10).Snapshotted(4);
        var cut = JournalRetention.Decide(ledger, T0.AddDays(8), Week, long.MaxValue, out var snapshotFirst);
        Assert.Equal(new RetentionCut(4, 3), cut);
        Assert.True(snapshotFirst);
        var after = ledger.Deleted(cut!);
        Assert.Equal(new LedgerBucket(5, 10, T0, T0, 600), Assert.Single(after.Buckets));
    }

    [Fact]
    public void The_budget_is_shared_among_entities()
    {
        Assert.Equal(10L << 30, JournalRetention.ShareOf(10L << 30, 0));
        Assert.Equal((10L << 30) / 200, JournalRetention.ShareOf(10L << 30, 200));
    }

    [Fact]
    public void A_ledger_round_trips_as_json_inside_a_snapshot_state()
    {
        var ledger = Minutes(3).Snapshotted(2);
        var options = new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };
        var back = System.Text.Json.JsonSerializer.Deserialize<JournalLedger>(System.Text.Json.JsonSerializer.Serialize(ledger, options), options)!;
        Assert.Equal(ledger.Buckets, back.Buckets);
        Assert.Equal(ledger.Snapshots, back.Snapshots);
    }
}
