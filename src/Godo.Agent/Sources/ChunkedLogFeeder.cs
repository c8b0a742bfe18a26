using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;

namespace Godo.Agent.Sources;

/// <summary>
/// Feeds a whole log to the router (a replay): reads it in line-aligned chunks, parses the chunks in parallel on the
/// thread pool, and hands each chunk's records on in log order, so the router sees the very stream a line-by-line
/// reader (<see cref="AuditStreamFeeder"/>) gives, with lines, malformed lines and the --until stop counted alike.
/// Memory does not grow with the log: a few chunks are parsed at a time, and at most <see cref="MaxBytesAhead"/> of
/// the log is handed on before the router has taken it in (before it has started, too).
/// </summary>
public sealed class ChunkedLogFeeder
{
    /// <summary>About 1,600 lines of a typical log: big enough that hand-offs are rare, small enough to start the pipeline soon.</summary>
    public const int ChunkBytes = 256 * 1024;
    /// <summary>Records per batch: 2,048 records of 40 bytes keep each array out of the large object heap.</summary>
    private const int BatchRecords = 2048;
    /// <summary>
    /// Log bytes handed on but not yet taken in by the router. Bytes, not records: a record's body can be anything up to
    /// 9 KB. 16 MiB is about 100 k records of a typical log, enough to overlap a replay's start-up with parsing; held
    /// records are promoted through the GC's generations, so more only costs memory.
    /// </summary>
    public const long MaxBytesAhead = 16 * 1024 * 1024;
    /// <summary>
    /// Records ahead of the router, and events ahead of the tree, once the pipeline runs: 8 k, not the live agent's
    /// 32 k. What is in flight survives every young collection, and each collection stops every thread; with a
    /// quarter of it in flight a 100x replay spent about half as long paused (38 collections either way), at the same
    /// CPU and 10-20 MiB less peak RSS. A live source keeps the default: it must never make the kernel wait.
    /// </summary>
    private const long MaxAhead = 8 * 1024;

    private readonly RecordBatcher _batcher;
    private readonly PipelineStats _stats;
    private readonly ConcurrentQueue<byte[]> _freeBuffers = new();
    private readonly int _parallelism;
    // Per chunk handed on: the records handed on up to its end, and the bytes. The router's count of records taken in
    // tells how many of these have left the read-ahead.
    private readonly Queue<(long Records, long Bytes)> _handed = new();
    private long _recordsHanded, _bytesHanded, _bytesRouted;

    /// <param name="router">the router, possibly still starting: chunks are parsed meanwhile (see <see cref="RecordBatcher"/>).</param>
    public ChunkedLogFeeder(Task<IActorRef> router, PipelineStats stats, int parallelism = 0)
    {
        _batcher = new RecordBatcher(router, stats, maxAhead: MaxAhead);
        _stats = stats;
        _parallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount;
    }

    /// <summary>Stop once records are this far past it (replay --until); null reads to the end.</summary>
    public long? StopAfterMs { get; init; }
    public bool StoppedEarly { get; private set; }

    /// <summary>A stretch of whole lines, or a line too long to hold (counted, never parsed), and what parsing found in it.</summary>
    private sealed class Chunk
    {
        public byte[]? Buffer;
        public int Length;
        public List<AuditRecord[]> Batches = new();
        public int LastCount;
        public long Lines;
        public long[]? Malformed;
        public long MaxTimeMs = long.MinValue;
        public bool StoppedAt;
    }

    /// <summary>Runs the read loop on its own thread (parsing on the pool); completes once the last chunk is handed on.</summary>
    public Task RunAsync(Stream input, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Run(input, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(Stream input, CancellationToken ct)
    {
        Replay.ReplayTimeline.Mark("reader: started");
        var inFlight = new Queue<(Chunk Chunk, Task Parsed)>();
        foreach (var chunk in Chunks(input, ct))
        {
            inFlight.Enqueue((chunk, chunk.Buffer is null ? Task.CompletedTask : Task.Run(() => Parse(chunk, null), CancellationToken.None)));
            // The oldest chunk is handed on once as many as there are cores are being parsed behind it.
            while (inFlight.Count > _parallelism)
                if (!Deliver(inFlight.Dequeue())) break;
            if (StoppedEarly) break;
        }
        while (!StoppedEarly && inFlight.TryDequeue(out var next)) Deliver(next);
        _batcher.EndOfStream();
    }

    /// <summary>Hands a parsed chunk on; false once --until is passed (this chunk's records up to there still go).</summary>
    private bool Deliver((Chunk Chunk, Task Parsed) item)
    {
        var (chunk, parsed) = item;
        parsed.GetAwaiter().GetResult();
        Replay.ReplayTimeline.Mark("reader: first chunk parsed");
        if (chunk.Buffer is null)
        {
            Interlocked.Increment(ref _stats.Lines);
            _stats.CountMalformed(MalformedReason.Oversized);
            return true;
        }
        if (StopAfterMs is { } stop && chunk.MaxTimeMs > stop)
        {
            // Rare (once per replay): parse this chunk again line by line, up to the first record past the stop.
            var again = new Chunk { Buffer = chunk.Buffer, Length = chunk.Length };
            Parse(again, stop);
            chunk = again;
            StoppedEarly = again.StoppedAt;
        }
        WaitForRoom();
        Interlocked.Add(ref _stats.Lines, chunk.Lines);
        if (chunk.Malformed is { } malformed)
            for (var reason = 0; reason < malformed.Length; reason++)
                if (malformed[reason] > 0) _stats.CountMalformed((MalformedReason)reason, malformed[reason]);
        for (var i = 0; i < chunk.Batches.Count; i++)
        {
            var batch = chunk.Batches[i];
            var count = i == chunk.Batches.Count - 1 ? chunk.LastCount : batch.Length;
            if (count < batch.Length) batch = batch.AsSpan(0, count).ToArray();
            _batcher.AddBatch(ImmutableCollectionsMarshal.AsImmutableArray(batch));
            _recordsHanded += count;
        }
        _bytesHanded += chunk.Length;
        _handed.Enqueue((_recordsHanded, _bytesHanded));
        _freeBuffers.Enqueue(chunk.Buffer!);
        return !StoppedEarly;
    }

    /// <summary>Holds the reader back while more than <see cref="MaxBytesAhead"/> of the log waits for the router.</summary>
    private void WaitForRoom()
    {
        var spin = new SpinWait();
        for (var waited = false; ; waited = true)
        {
            var routed = Interlocked.Read(ref _stats.RecordsRouted);
            while (_handed.TryPeek(out var h) && h.Records <= routed) _bytesRouted = _handed.Dequeue().Bytes;
            if (_bytesHanded - _bytesRouted <= MaxBytesAhead) return;
            if (!waited) _batcher.SendEarly(); // records parsed before the router started reach it only then
            spin.SpinOnce(sleep1Threshold: 10);
        }
    }

    /// <summary>Parses every line of a chunk (up to the first record past <paramref name="stopAfterMs"/>) into batches; counts, but touches no shared state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private static void Parse(Chunk chunk, long? stopAfterMs)
    {
        var rest = chunk.Buffer.AsSpan(0, chunk.Length);
        var arena = new BodyArena();
        var left = rest.Count((byte)'\n') + (rest.IsEmpty || rest[^1] == (byte)'\n' ? 0 : 1); // lines: at most this many records
        AuditRecord[] batch = [];
        var count = 0;
        while (!rest.IsEmpty)
        {
            var nl = rest.IndexOf((byte)'\n');
            var line = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? default : rest[(nl + 1)..];
            chunk.Lines++;
            left--;
            AuditRecord record = default;
            var why = line.Length > AuditLineParser.MaxLineBytes ? MalformedReason.Oversized : AuditLineParser.TryParseLine(line, out record, arena);
            if (why != MalformedReason.None)
            {
                if (why != MalformedReason.Empty) (chunk.Malformed ??= new long[Enum.GetValues<MalformedReason>().Length])[(int)why]++;
                continue;
            }
            if (record.TimeMs > stopAfterMs) { chunk.StoppedAt = true; break; }
            if (count == batch.Length)
            {
                batch = new AuditRecord[Math.Min(BatchRecords, left + 1)];
                chunk.Batches.Add(batch);
                count = 0;
            }
            batch[count++] = record;
            if (record.TimeMs > chunk.MaxTimeMs) chunk.MaxTimeMs = record.TimeMs;
        }
        chunk.LastCount = count;
    }

    /// <summary>
    /// Cuts the stream into chunks that end at a line's end. A line that does not fit a whole buffer is far over
    /// <see cref="AuditLineParser.MaxLineBytes"/>: it becomes a chunk of its own without bytes, and is skipped to its end.
    /// </summary>
    private IEnumerable<Chunk> Chunks(Stream input, CancellationToken ct)
    {
        var buffer = Rent();
        int length = 0;
        var skipping = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var n = input.Read(buffer, length, buffer.Length - length);
            length += n;
            if (n > 0 && length < buffer.Length) continue; // fill the buffer: fewer, fuller chunks
            if (skipping)
            {
                var nl = buffer.AsSpan(0, length).IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    skipping = false;
                    Buffer.BlockCopy(buffer, nl + 1, buffer, 0, length - nl - 1);
                    length -= nl + 1;
                }
                else length = 0;
                if (n > 0) continue;
            }
            if (n == 0) break;
            var last = buffer.AsSpan(0, length).LastIndexOf((byte)'\n');
            if (last < 0)
            {
                yield return new Chunk(); // a line longer than the buffer: oversized
                skipping = true;
                length = 0;
                continue;
            }
            var next = Rent();
            var carried = length - last - 1;
            Buffer.BlockCopy(buffer, last + 1, next, 0, carried);
            Replay.ReplayTimeline.Mark("reader: first chunk read");
            yield return new Chunk { Buffer = buffer, Length = last + 1 };
            buffer = next;
            length = carried;
        }
        if (length > 0) yield return new Chunk { Buffer = buffer, Length = length };
        else _freeBuffers.Enqueue(buffer);
    }

    private byte[] Rent() => _freeBuffers.TryDequeue(out var b) ? b : GC.AllocateUninitializedArray<byte>(ChunkBytes);
}
