namespace Godo.Agent.Netlink;

/// <summary>
/// Reads the process events connector on its own background thread (beside the audit receiver, never on an actor
/// dispatcher: it blocks in poll) and hands the process exits to a sink, those of about 10 ms at once (a storm of
/// exits costs one hand-off per window, not one per exit). Counts its own loss: ENOBUFS, and, when the
/// kernel sends every event (no filter), gaps in the per-CPU cn_msg sequence.
/// </summary>
public sealed class ProcEventsReceiver : IDisposable
{
    private readonly ProcEventsSocket _socket;
    private readonly Action<ReadOnlySpan<ProcExit>> _sink;
    private readonly ProcExit[] _batch = new ProcExit[MaxBatch];
    private int _count;
    private readonly Dictionary<int, uint> _lastSeqByCpu = new();
    private Thread? _reader;
    private volatile bool _stop;
    private readonly WakeFd _wake = new();
    private long _exits;
    private long _lost;

    /// <summary>Most exits handed over in one call.</summary>
    public const int MaxBatch = 512;

    /// <summary>How long exits gather after the first one before they are handed over.</summary>
    public const int CoalesceMs = 10;

    /// <summary>
    /// The same within a burst (the first exit came less than <see cref="BusyGapMs"/> after the last hand-over): in a storm
    /// this thread woke once per exit (a fifth of the agent's CPU), for exits whose deletion waits 1 s anyway.
    /// </summary>
    public const int BusyCoalesceMs = 50;

    /// <summary>An exit this soon after the last hand-over belongs to a burst (see <see cref="BusyCoalesceMs"/>).</summary>
    public const int BusyGapMs = 100;

    /// <param name="sink">Called on the reading thread with the exits read since the last call; the span is valid only during the call.</param>
    public ProcEventsReceiver(ProcEventsSocket socket, Action<ReadOnlySpan<ProcExit>> sink)
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

    /// <summary>How long the thread waits in poll at most; a stop wakes it at once.</summary>
    private const int PollTimeoutMs = 5000;

    /// <summary>Signals the thread (waking its poll) and joins it.</summary>
    public void Stop()
    {
        _stop = true;
        _wake.Signal();
        if (_reader is not null && _reader != Thread.CurrentThread) _reader.Join();
    }

    public void Dispose()
    {
        Stop();
        if (_reader is null || _reader != Thread.CurrentThread) _wake.Dispose();
    }

    private void ReadLoop()
    {
        // Connector messages are under 100 bytes; a storm's exits come dozens to a syscall (recvmmsg).
        using var datagrams = new NetlinkDatagrams(64, 512);
        var lastHandOver = long.MinValue / 2;
        var burst = false;
        while (!_stop)
        {
            try
            {
                if (burst)
                {
                    // In a burst the next window is slept straight away (no poll to wake up from); an empty one ends it.
                    Thread.Sleep(BusyCoalesceMs);
                    if (!Drain(datagrams)) { burst = false; continue; }
                }
                else
                {
                    if (Take(datagrams, PollTimeoutMs) == NetlinkReceiveStatus.Timeout) continue;
                    // Then let the exits of the next few milliseconds gather and hand them over together: one wake-up
                    // of this thread and of the tree per window, not per exit. The tree deletes a process 1 s after its exit.
                    burst = Environment.TickCount64 - lastHandOver < BusyGapMs;
                    Thread.Sleep(burst ? BusyCoalesceMs : CoalesceMs);
                    Drain(datagrams);
                }
                HandOver();
                lastHandOver = Environment.TickCount64;
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

    /// <summary>Reads the socket empty without waiting; whether it held any datagram.</summary>
    private bool Drain(NetlinkDatagrams datagrams)
    {
        var any = false;
        for (NetlinkReceiveStatus status; !_stop && (status = Take(datagrams, 0)) != NetlinkReceiveStatus.Timeout;)
            any |= status == NetlinkReceiveStatus.Message;
        return any;
    }

    /// <summary>Reads what waits (waiting up to <paramref name="timeoutMs"/>) and keeps the processes' exits.</summary>
    private NetlinkReceiveStatus Take(NetlinkDatagrams datagrams, int timeoutMs)
    {
        var status = _socket.ReceiveMany(datagrams, timeoutMs, _wake.Fd);
        if (status == NetlinkReceiveStatus.NoBuffers) ReportLoss(1, "ENOBUFS");
        if (status != NetlinkReceiveStatus.Message) return status;
        for (var i = 0; i < datagrams.Count; i++)
        {
            if (!ProcEventsSocket.TryParse(datagrams, i, out var m)) continue;
            if (_socket.ExitsOnly && m.Kind == ProcEventKind.Other) _socket.FilterNotTaken();
            if (!_socket.ExitsOnly) CheckSequence(m);
            if (m.Kind != ProcEventKind.Exit) continue;
            if (_count == _batch.Length) HandOver();
            _batch[_count++] = m.Exit;
        }
        return status;
    }

    private void HandOver()
    {
        if (_count == 0) return;
        Interlocked.Add(ref _exits, _count);
        _sink(_batch.AsSpan(0, _count));
        _count = 0;
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
