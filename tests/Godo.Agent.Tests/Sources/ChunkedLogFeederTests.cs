using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using Godo.Agent.Tests.Audit;
using Godo.Tests.Shared;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Tests.Sources;

/// <summary>The replay's parallel chunked reader gives the router the very records, in the very order, that reading line by line gives.</summary>
public sealed class ChunkedLogFeederTests : TestKit
{
    private const long T0 = 1_795_921_864_000;

    /// <summary>Stands in for the router: counts what it is given, as the router does for the feeder's back-pressure.</summary>
    private sealed class CountingRouter : ReceiveActor
    {
        public CountingRouter(PipelineStats stats, IActorRef probe)
        {
            Receive<RecordBatch>(b => { Interlocked.Add(ref stats.RecordsRouted, b.Records.Length); probe.Tell(b); });
            Receive<EndOfStream>(e => probe.Tell(e));
        }
    }

    /// <summary>
    /// Several chunks of SYSCALL/PROCTITLE/PATH lines with what a log may also hold: CRLF, empty lines, garbage, lines
    /// over the limit (one longer than a whole chunk), and no newline at the end.
    /// </summary>
    private static byte[] Log(int events)
    {
        var text = new StringBuilder();
        for (var s = 1; s <= events; s++)
        {
            var t = T0 + s * 3;
            text.Append(AuditText.Header("SYSCALL", t, s)).Append($"arch=c000003e syscall=57 success=yes exit={s + 5000} a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid={s + 1000} uid=0 comm=\"x\" exe=\"/x\" key=\"godo\"\n");
            text.Append(AuditText.Header("PATH", t, s)).Append("item=0 name=\"/x\"").Append(s % 7 == 0 ? "\r\n" : "\n");
            text.Append(AuditText.Header("PROCTITLE", t, s)).Append("proctitle=\"x\"\n");
            if (s % 1000 == 0) text.Append('\n');
            if (s % 1500 == 0) text.Append("garbage line\n");
            if (s == 2000) text.Append(AuditText.Header("PROCTITLE", t, s)).Append('a', 70_000).Append('\n');
            if (s == 5000) text.Append(AuditText.Header("PROCTITLE", t, s)).Append('b', ChunkedLogFeeder.ChunkBytes * 2 + 17).Append('\n');
        }
        text.Append(AuditText.Header("EOE", T0 + events * 3 + 1, events + 1)); // no newline at the end
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    /// <summary>The reference: <see cref="AuditLineReader"/> and the parser, one line at a time, counting as the line-by-line feeder does.</summary>
    private static async Task<(List<AuditRecord> Records, PipelineStats Stats)> LineByLine(byte[] log, long? stopAfterMs)
    {
        var stats = new PipelineStats();
        var records = new List<AuditRecord>();
        var stopped = false;
        await new AuditLineReader(new MemoryStream(log)).ReadAllAsync(line =>
        {
            if (stopped) return;
            stats.Lines++;
            var why = AuditLineParser.TryParseLine(line, out var r);
            if (why != MalformedReason.None) { if (why != MalformedReason.Empty) stats.CountMalformed(why); return; }
            if (r.TimeMs > stopAfterMs) { stopped = true; return; }
            records.Add(r);
        }, () => { if (!stopped) { stats.Lines++; stats.CountMalformed(MalformedReason.Oversized); } });
        return (records, stats);
    }

    private async Task<(List<AuditRecord> Records, PipelineStats Stats, bool Stopped)> Chunked(byte[] log, long? stopAfterMs)
    {
        var stats = new PipelineStats();
        var router = Sys.ActorOf(Props.Create(() => new CountingRouter(stats, TestActor)));
        var feeder = new ChunkedLogFeeder(Task.FromResult(router), stats) { StopAfterMs = stopAfterMs };
        await feeder.RunAsync(new MemoryStream(log)).WaitAsync(TimeSpan.FromSeconds(60));
        var records = new List<AuditRecord>();
        while (ExpectMsg<object>(TimeSpan.FromSeconds(20)) is RecordBatch b) records.AddRange(b.Records);
        return (records, stats, feeder.StoppedEarly);
    }

    private static void AssertSame((List<AuditRecord> Records, PipelineStats Stats) want, List<AuditRecord> records, PipelineStats stats)
    {
        Assert.Equal(want.Records.Count, records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal((want.Records[i].Type, want.Records[i].TimeMs, want.Records[i].Serial), (records[i].Type, records[i].TimeMs, records[i].Serial));
            Assert.True(want.Records[i].Body.Span.SequenceEqual(records[i].Body.Span), $"record {i}: body differs");
        }
        Assert.Equal(want.Stats.Lines, stats.Lines);
        Assert.Equal(want.Records.Count, stats.Records);
        Assert.Equal(want.Stats.All().Where(kv => kv.Key.StartsWith("malformed")), stats.All().Where(kv => kv.Key.StartsWith("malformed")));
    }

    [Fact]
    public async Task A_whole_log_gives_the_records_and_counts_of_reading_it_line_by_line()
    {
        var log = Log(8_000);
        Assert.True(log.Length > 6 * ChunkedLogFeeder.ChunkBytes);
        var want = await LineByLine(log, null);
        var (records, stats, stopped) = await Chunked(log, null);
        AssertSame(want, records, stats);
        Assert.False(stopped);
        Assert.Equal(2, stats.All().Single(kv => kv.Key == "malformed.oversized").Value);
        Assert.Equal(5, stats.All().Single(kv => kv.Key == "malformed.noType").Value);
    }

    [Theory]
    [InlineData(1_999)]
    [InlineData(5_000)]
    [InlineData(7_777)]
    public async Task Until_stops_at_the_first_record_past_it_wherever_it_falls_in_a_chunk(int serial)
    {
        var log = Log(8_000);
        var stop = T0 + serial * 3;
        var want = await LineByLine(log, stop);
        var (records, stats, stopped) = await Chunked(log, stop);
        AssertSame(want, records, stats);
        Assert.True(stopped);
        Assert.Equal(serial, records[^1].Serial);
    }

    /// <summary>A log in memory that counts what has been read of it, from the reader's thread.</summary>
    private sealed class CountingStream(byte[] bytes) : MemoryStream(bytes)
    {
        private long _read;
        public long BytesRead => Interlocked.Read(ref _read);
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            Interlocked.Add(ref _read, n);
            return n;
        }
    }

    [Fact]
    public async Task Read_ahead_is_bounded_in_bytes_while_the_router_starts_and_all_of_it_arrives_once_it_has()
    {
        var log = Log(120_000);
        Assert.True(log.Length > 2 * ChunkedLogFeeder.MaxBytesAhead);
        var want = await LineByLine(log, null);
        var stats = new PipelineStats();
        var router = new TaskCompletionSource<IActorRef>();
        var input = new CountingStream(log);
        var running = new ChunkedLogFeeder(router.Task, stats).RunAsync(input);

        // The reader gets past the bound's worth of the log, then waits for the router, however long it takes to start.
        var last = -1L;
        await Eventually.Until(() =>
        {
            var read = input.BytesRead;
            var still = read == last;
            last = read;
            return Task.FromResult(still && read > ChunkedLogFeeder.MaxBytesAhead);
        }, TimeSpan.FromSeconds(60), "the reader waits once the bound's worth of the log is parsed");
        // Beyond the bound: the chunk handed on last, the one waiting, those being parsed, the next one's start, and the
        // line longer than two chunks, read and skipped (never handed on).
        var over = (Environment.ProcessorCount + 3) * ChunkedLogFeeder.ChunkBytes + 3 * ChunkedLogFeeder.ChunkBytes;
        Assert.InRange(input.BytesRead, ChunkedLogFeeder.MaxBytesAhead, ChunkedLogFeeder.MaxBytesAhead + over);
        Assert.False(running.IsCompleted);

        router.SetResult(Sys.ActorOf(Props.Create(() => new CountingRouter(stats, TestActor))));
        await running.WaitAsync(TimeSpan.FromSeconds(60));
        var records = new List<AuditRecord>();
        while (ExpectMsg<object>(TimeSpan.FromSeconds(20)) is RecordBatch b) records.AddRange(b.Records);
        AssertSame(want, records, stats);
    }
}
