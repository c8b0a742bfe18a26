using System.Collections.Immutable;
using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using static Godo.Agent.Assembly.AssemblyProtocol;

namespace Godo.Agent.Assembly;

/// <summary>
/// Hands each in-flight serial to an assembler from a pool and decides, through <see cref="AssemblyPolicy"/>,
/// when each event is complete. It stamps completed events with a sequence number in completion order, so the
/// tree can apply them in log order although assemblers finish them concurrently.
/// </summary>
public sealed class SerialRouterActor : ReceiveActor, IWithTimers
{
    /// <summary>A pooled assembler and the records held back for it in the current batch; pooled with it.</summary>
    private sealed class Slot(IActorRef assembler)
    {
        public readonly IActorRef Assembler = assembler;
        public readonly List<AuditRecord> Pending = new(8);
    }

    private readonly IActorRef _tree;
    private readonly PipelineStats _stats;
    private readonly AssemblyPolicy _policy;
    private readonly Stack<Slot> _free = new();
    private readonly Dictionary<long, Slot> _open = new();
    private readonly List<Slot> _touched = new();
    private readonly List<(long Serial, bool Eoe)> _complete = new();
    // Completes held back until the end of the batch, one list per assembler, in the order they were decided.
    private readonly Dictionary<IActorRef, List<Complete>> _outbox = new();
    private long _sequence;
    private int _created;
    private readonly TimeSpan? _tick;

    public ITimerScheduler Timers { get; set; } = null!;

    public SerialRouterActor(AssemblyOptions options, IActorRef tree, PipelineStats stats, TimeSpan? tick)
    {
        _tree = tree; _stats = stats; _policy = new AssemblyPolicy(options);
        Receive<RecordBatch>(OnBatch);
        Receive<Tick>(_ =>
        {
            _policy.Tick(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _complete);
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

    private void OnBatch(RecordBatch batch)
    {
        foreach (var r in batch.Records)
        {
            switch (_policy.Offer(r, _complete))
            {
                case RecordDisposition.Started:
                {
                    var slot = Rent();
                    slot.Pending.Add(r);
                    _open[r.Serial] = slot;
                    _touched.Add(slot);
                    break;
                }
                case RecordDisposition.Continued:
                {
                    var slot = _open[r.Serial];
                    slot.Pending.Add(r);
                    if (slot.Pending.Count == 1) _touched.Add(slot);
                    break;
                }
                case RecordDisposition.Standalone:
                case RecordDisposition.Late when r.Type != AuditRecordType.Eoe:
                    // A record on its own (or one that missed its event): an event of one record.
                    CompleteAll(); // what the policy flushed before this record keeps its place in the order
                    var a = Rent();
                    Hold(a.Assembler, new Complete(r.Serial, ++_sequence, false, [r]));
                    _free.Push(a);
                    break;
            }
            CompleteAll();
        }
        // Completes first: an assembler finishes the serials it had before it gathers for the next one.
        SendCompletes();
        // Records of serials still open go to their assemblers once per batch, not once per record.
        foreach (var slot in _touched)
            if (slot.Pending.Count > 0)
            {
                slot.Assembler.Tell(new Gather(ImmutableArray.Create(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(slot.Pending))));
                slot.Pending.Clear();
            }
        _touched.Clear();
        Interlocked.Add(ref _stats.RecordsRouted, batch.Records.Length);
        Publish();
        if (_tick is { } t && _policy.InFlight > 0 && !Timers.IsTimerActive("tick")) Timers.StartPeriodicTimer("tick", new Tick(), t);
    }

    private void CompleteAll()
    {
        foreach (var (serial, eoe) in _complete)
        {
            if (!_open.Remove(serial, out var slot)) continue;
            Hold(slot.Assembler, new Complete(serial, ++_sequence, eoe, ImmutableArray.Create(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(slot.Pending))));
            slot.Pending.Clear();
            // Safe to reuse at once: the assembler handles this Complete before anything sent to it later.
            _free.Push(slot);
        }
        _complete.Clear();
    }

    private void Hold(IActorRef assembler, Complete complete)
    {
        if (!_outbox.TryGetValue(assembler, out var list)) _outbox[assembler] = list = new List<Complete>(4);
        list.Add(complete);
    }

    private void SendCompletes()
    {
        foreach (var (assembler, list) in _outbox)
        {
            if (list.Count == 0) continue;
            assembler.Tell(new CompleteBatch([.. list]));
            list.Clear();
        }
    }

    private Slot Rent()
    {
        if (_free.TryPop(out var a)) return a;
        return new Slot(Context.ActorOf(SerialAssemblerActor.Props(_tree, _stats).WithDispatcher(Context.Props.Dispatcher), $"assembler-{++_created}"));
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
