namespace Godo.Agent.Netlink;

/// <summary>
/// Reads the process events connector on its own background thread (beside the audit receiver, never on an actor
/// dispatcher: it blocks in poll) and hands every process exit to a sink. Counts its own loss: ENOBUFS, and, when the
/// kernel sends every event (no filter), gaps in the per-CPU cn_msg sequence.
/// </summary>
public sealed class ProcEventsReceiver : IDisposable
{
    private readonly ProcEventsSocket _socket;
    private readonly Action<ProcExit> _sink;
    private readonly Dictionary<int, uint> _lastSeqByCpu = new();
    private Thread? _reader;
    private volatile bool _stop;
    private long _exits;
    private long _lost;

    public ProcEventsReceiver(ProcEventsSocket socket, Action<ProcExit> sink)
    {
        _socket = socket;
        _sink = sink;
    }

    /// <summary>Events dropped before godo read them: <paramref name="count"/> of this report (1 per ENOBUFS), running total.</summary>
    public event Action<long, long, string>? LossDetected;

    /// <summary>The read loop hit an unexpected socket error and stopped.</summary>
    public event Action<Exception>? Faulted;

    public long Exits => Interlocked.Read(ref _exits);
    public long Lost => Interlocked.Read(ref _lost);

    public void Start()
    {
        if (_reader is not null) throw new InvalidOperationException("receiver already started");
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "godo-proc-events" };
        _reader.Start();
    }

    /// <summary>Signals the thread and joins it (within one poll timeout).</summary>
    public void Stop()
    {
        _stop = true;
        if (_reader is not null && _reader != Thread.CurrentThread) _reader.Join();
    }

    public void Dispose() => Stop();

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        while (!_stop)
        {
            try
            {
                switch (_socket.Receive(buffer, 200, out var m))
                {
                    case NetlinkReceiveStatus.Message:
                        if (_socket.ExitsOnly && m.Kind == ProcEventKind.Other) _socket.FilterNotTaken();
                        if (!_socket.ExitsOnly) CheckSequence(m);
                        if (m.Kind != ProcEventKind.Exit) break;
                        Interlocked.Increment(ref _exits);
                        _sink(m.Exit);
                        break;
                    case NetlinkReceiveStatus.NoBuffers:
                        ReportLoss(1, "ENOBUFS");
                        break;
                }
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (Exception e)
            {
                Faulted?.Invoke(e);
                break;
            }
        }
    }

    /// <summary>Without the exits-only filter the kernel numbers every event per CPU; a jump means events were dropped.</summary>
    private void CheckSequence(ProcEventMessage m)
    {
        if (m.Kind == ProcEventKind.Ack) return;
        if (_lastSeqByCpu.TryGetValue(m.Cpu, out var last) && m.Sequence > last + 1)
            ReportLoss(m.Sequence - last - 1, $"sequence gap on cpu {m.Cpu}");
        _lastSeqByCpu[m.Cpu] = m.Sequence;
    }

    private void ReportLoss(long count, string why)
    {
        var total = Interlocked.Add(ref _lost, count);
        LossDetected?.Invoke(count, total, why);
    }
}
