using System.Runtime.CompilerServices;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Assembly;

/// <summary>
/// Gathers the records of each in-flight serial and decides, through <see cref="AssemblyPolicy"/>, when each event
/// is complete. It stamps completed events with a sequence number in completion order and hands them, a run of
/// consecutive sequences at a time, to a small pool of assemblers that build them concurrently; the tree applies
/// them in sequence order.
/// </summary>
public sealed class SerialRouterActor : ReceiveActor, IWithTimers
{
    /// <summary>Assemblers in the pool: building events is the part of assembly that runs in parallel.</summary>
    public static readonly int PoolSize = Math.Clamp(Environment.ProcessorCount, 2, 8);
    /// <summary>A batch is split between assemblers only in runs at least this long: smaller ones are not worth a hand-off.</summary>
    private const int MinRun = 256;

    private readonly IActorRef _tree;
    private readonly PipelineStats _stats;
    private readonly AssemblyPolicy _policy;
    // The records of each open serial, in lists reused from serial to serial.
    private readonly Dictionary<long, List<AuditRecord>> _open = new();
    private readonly Stack<List<AuditRecord>> _freeLists = new();
    // The serial of the last record and its list: a serial's records come one after the other in a log, so most
    // records find their list here without a lookup.
    private long _lastSerial = -1;
    private List<AuditRecord>? _lastRecords;
    private readonly List<(long Serial, bool Eoe)> _complete = new();
    // Serials completed in the current batch, with their records one after the other, until the batch is sent.
    private readonly List<AuditRecord> _doneRecords = new();
    private readonly List<CompleteSerial> _done = new();
    private readonly List<IActorRef> _assemblers = new();
    private int _nextAssembler;
    private long _sequence;
    private readonly TimeSpan? _tick;
    private long _lastBatchAtMs = Environment.TickCount64;

    public ITimerScheduler Timers { get; set; } = null!;

    public SerialRouterActor(AssemblyOptions options, IActorRef tree, PipelineStats stats, TimeSpan? tick)
    {
        _tree = tree; _stats = stats; _policy = new AssemblyPolicy(options);
        Receive<RecordBatch>(OnBatch);
        Receive<Tick>(_ =>
        {
            // The stream's clock, not the wall's: event time of the newest record plus the time since it came. A live
            // stream's records are the wall's time; a file paced by event time is days behind it, and its open
            // events must wait for their late records as a live host's would.
            _policy.Tick(_policy.NewestTimeMs + (Environment.TickCount64 - _lastBatchAtMs), _complete);
            CompleteAll();
            SendCompletes();
            // The tick times out open serials: with none open there is nothing for it to do until the next batch.
            if (_policy.InFlight == 0) Timers.Cancel("tick");
        });
        Receive<EndOfStream>(_ =>
        {
            _policy.FlushAll(_complete);
            CompleteAll();
            SendCompletes();
            Publish();
            _tree.Tell(new TreeProtocol.EndOfInput(_sequence));
        });
        _tick = tick;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void OnBatch(RecordBatch batch)
    {
        Replay.ReplayTimeline.Mark("router: first batch");
        _lastBatchAtMs = Environment.TickCount64;
        foreach (ref readonly var r in batch.Records.AsSpan())
        {
            switch (_policy.Offer(r, _complete))
            {
                case RecordDisposition.Started:
                {
                    var records = _freeLists.TryPop(out var reused) ? reused : new List<AuditRecord>(8);
                    records.Add(r);
                    _open[r.Serial] = records;
                    (_lastSerial, _lastRecords) = (r.Serial, records);
                    break;
                }
                case RecordDisposition.Continued:
                    if (r.Serial != _lastSerial) (_lastSerial, _lastRecords) = (r.Serial, _open[r.Serial]);
                    _lastRecords!.Add(r);
                    break;
                case RecordDisposition.Standalone:
                case RecordDisposition.Late when r.Type != AuditRecordType.Eoe:
                    // A record on its own (or one that missed its event): an event of one record.
                    CompleteAll(); // what the policy flushed before this record keeps its place in the order
                    Done(r.Serial, false, new ReadOnlySpan<AuditRecord>(in r));
                    break;
            }
            CompleteAll();
        }
        SendCompletes();
        Interlocked.Add(ref _stats.RecordsRouted, batch.Records.Length);
        Publish();
        if (_tick is { } t && _policy.InFlight > 0 && !Timers.IsTimerActive("tick")) Timers.StartPeriodicTimer("tick", new Tick(), t);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void CompleteAll()
    {
        foreach (var (serial, eoe) in _complete)
        {
            if (!_open.Remove(serial, out var records)) continue;
            if (serial == _lastSerial) (_lastSerial, _lastRecords) = (-1, null); // its list goes back to the pool
            Done(serial, eoe, CollectionsMarshal.AsSpan(records));
            records.Clear();
            _freeLists.Push(records);
        }
        _complete.Clear();
    }

    private void Done(long serial, bool eoe, ReadOnlySpan<AuditRecord> records)
    {
        _done.Add(new CompleteSerial(serial, ++_sequence, eoe, _doneRecords.Count, records.Length));
        _doneRecords.AddRange(records);
    }

    /// <summary>The serials completed so far, in runs of consecutive sequences, one run per assembler.</summary>
    private void SendCompletes()
    {
        if (_done.Count == 0) return;
        var serials = CollectionsMarshal.AsSpan(_done);
        var records = CollectionsMarshal.AsSpan(_doneRecords);
        var runs = Math.Clamp(serials.Length / MinRun, 1, PoolSize);
        for (int run = 0, first = 0; run < runs; run++)
        {
            var end = run == runs - 1 ? serials.Length : first + serials.Length / runs;
            var start = serials[first].Start;
            var stop = serials[end - 1].Start + serials[end - 1].Count;
            var part = new CompleteSerial[end - first];
            for (var i = first; i < end; i++) part[i - first] = serials[i] with { Start = serials[i].Start - start };
            Assembler().Tell(new CompleteBatch(
                ImmutableCollectionsMarshal.AsImmutableArray(records[start..stop].ToArray()),
                ImmutableCollectionsMarshal.AsImmutableArray(part)));
            first = end;
        }
        _done.Clear();
        _doneRecords.Clear();
    }

    private IActorRef Assembler()
    {
        if (_assemblers.Count < PoolSize && _nextAssembler == _assemblers.Count)
            _assemblers.Add(Context.ActorOf(SerialAssemblerActor.Props(_tree, _stats).WithDispatcher(Context.Props.Dispatcher), $"assembler-{_assemblers.Count + 1}"));
        var a = _assemblers[_nextAssembler];
        _nextAssembler = (_nextAssembler + 1) % PoolSize;
        return a;
    }

    private void Publish()
    {
        Interlocked.Exchange(ref _stats.Events, _sequence);
        Interlocked.Exchange(ref _stats.EventsWithoutEoe, _policy.CompletedWithoutEoe);
        Interlocked.Exchange(ref _stats.LateRecords, _policy.LateRecords);
    }

    public static Props Props(AssemblyOptions options, IActorRef tree, PipelineStats stats, TimeSpan? tick = null) =>
        Akka.Actor.Props.Create(() => new SerialRouterActor(options, tree, stats, tick));
}
