using Godo.Agent.Audit;

namespace Godo.Agent.Netlink;

public sealed record NetlinkAuditReceiverOptions
{
    /// <summary>Longest the read thread blocks in poll (<see cref="NetlinkAuditReceiver.Stop"/> wakes it at once).</summary>
    public int PollTimeoutMs { get; init; } = 5000;

    /// <summary>How often a separate socket reads the kernel status to watch `lost`; zero disables the poll.</summary>
    public TimeSpan StatusPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>`lost` value to compare the first poll against; null = the first poll only sets the baseline.</summary>
    public uint? LostBaseline { get; init; }

    public int BufferSize { get; init; } = AuditNetlinkSocket.RecommendedBufferSize;

    /// <summary>With <see cref="NetlinkAuditReceiver.Quiet"/> set: how long after a message the socket is read again and Quiet called.</summary>
    public int QuietDelayMs { get; init; } = 10;

    /// <summary>
    /// The same, for a message that comes within <see cref="BusyGapMs"/> of the last window's end: a burst is going on,
    /// and a longer window gathers more of it per wake-up (a storm's cost is mostly wake-ups, not records).
    /// </summary>
    public int BusyDelayMs { get; init; } = 25;

    /// <summary>A window that starts this soon after the last one ended is part of a burst (see <see cref="BusyDelayMs"/>).</summary>
    public int BusyGapMs { get; init; } = 50;
}

public enum AuditLossKind
{
    /// <summary>The event socket overflowed (ENOBUFS): records were dropped before godo saw them (multicast).</summary>
    SocketOverflow,

    /// <summary>The kernel's `lost` counter rose: records were dropped in the kernel (backlog full, rate limit).</summary>
    KernelLost,
}

/// <param name="Count">Records (KernelLost) or overflow events (SocketOverflow) since the previous report.</param>
/// <param name="Total">Running total of the same kind for this receiver.</param>
public readonly record struct AuditLossEvent(AuditLossKind Kind, long Count, long Total, DateTimeOffset At);

/// <summary>
/// Reads kernel audit messages on a dedicated background thread (never an actor dispatcher: it blocks in poll)
/// and hands each one to a sink. A second thread polls the kernel status on its own socket, because the read
/// path can be the thing that is stuck, and reports rises of `lost` (elastic/beats PR #7561, fact 4).
/// Sink and events run on those threads: keep them short (e.g. copy and Tell an actor).
/// </summary>
public sealed class NetlinkAuditReceiver : IDisposable
{
    private readonly AuditNetlinkSocket _socket;
    private readonly Action<int, ReadOnlySpan<byte>> _sink;
    private readonly NetlinkAuditReceiverOptions _options;
    private readonly ManualResetEventSlim _stopSignal = new(false);
    private readonly WakeFd _wake = new();
    private Thread? _reader;
    private Thread? _poller;
    private volatile bool _stop;
    private long _messages;
    private long _bytes;
    private long _noBufferEvents;
    private long _sinkErrors;
    private long _kernelLost;
    private long _statusPolls;

    /// <param name="socket">The session's event socket (not owned: the session closes it).</param>
    /// <param name="sink">Called once per kernel message with the netlink type (1300 SYSCALL, 1320 EOE, ...) and the
    /// record text <c>audit(1700000000.123:42): ...</c>. The span is valid only during the call.</param>
    public NetlinkAuditReceiver(AuditNetlinkSocket socket, Action<int, ReadOnlySpan<byte>> sink, NetlinkAuditReceiverOptions? options = null)
    {
        _socket = socket;
        _sink = sink;
        _options = options ?? new NetlinkAuditReceiverOptions();
    }

    /// <summary>Datagrams lost to receive-buffer overflow, or the kernel's `lost` counter rose.</summary>
    public event Action<AuditLossEvent>? LossDetected;

    /// <summary>Every successful status poll (e.g. to export backlog and lost as metrics, or see the audit pid change).</summary>
    public event Action<AuditStatus>? StatusPolled;

    /// <summary>The read loop hit an unexpected socket error and stopped.</summary>
    public event Action<Exception>? Faulted;

    /// <summary>
    /// Called on the read thread once the socket is empty, <see cref="NetlinkAuditReceiverOptions.QuietDelayMs"/> or a little
    /// more after a message: where a source sends its partial batch, with no timer thread waking for it. Set before Start.
    /// </summary>
    public Action? Quiet { get; set; }

    /// <summary>A sink or event handler threw; the loop carries on.</summary>
    public event Action<Exception>? HandlerFailed;

    // Counters and state for tests (test seams): the agent itself learns of loss through the events below.
    public long Messages => Interlocked.Read(ref _messages);
    public long Bytes => Interlocked.Read(ref _bytes);
    public long NoBufferEvents => Interlocked.Read(ref _noBufferEvents);
    public long SinkErrors => Interlocked.Read(ref _sinkErrors);
    /// <summary>Sum of rises of the kernel `lost` counter seen by the status poll.</summary>
    public long KernelLost => Interlocked.Read(ref _kernelLost);
    public long StatusPolls => Interlocked.Read(ref _statusPolls);
    public bool IsRunning => _reader is { IsAlive: true };

    public void Start()
    {
        if (_reader is not null) throw new InvalidOperationException("receiver already started");
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "godo-audit-read" };
        _reader.Start();
        if (_options.StatusPollInterval > TimeSpan.Zero)
        {
            _poller = new Thread(PollLoop) { IsBackground = true, Name = "godo-audit-status" };
            _poller.Start();
        }
    }

    /// <summary>Signals both threads (waking the reader's poll) and joins them.</summary>
    public void Stop()
    {
        _stop = true;
        _stopSignal.Set();
        _wake.Signal();
        foreach (var t in new[] { _reader, _poller })
        {
            if (t is not null && t != Thread.CurrentThread) t.Join();
        }
    }

    /// <summary>Same as <see cref="Stop"/>; the socket belongs to the session and is not closed here.</summary>
    public void Dispose()
    {
        Stop();
        if (_reader is null || _reader != Thread.CurrentThread) _wake.Dispose();
    }

    private void ReadLoop()
    {
        using var datagrams = new NetlinkDatagrams(DatagramsPerRead, _options.BufferSize);
        var lastWindowEnd = long.MinValue / 2;
        var burst = false;
        while (!_stop)
        {
            try
            {
                if (burst)
                {
                    // In a burst, the next window is slept straight away: its records are there by its end, and the
                    // wake-up of a poll that returns at the first of them is saved. An empty window ends the burst.
                    Thread.Sleep(_options.BusyDelayMs);
                    if (!Drain(datagrams)) { burst = false; continue; }
                }
                else
                {
                    if (PumpMany(datagrams, _options.PollTimeoutMs) != NetlinkReceiveStatus.Message || Quiet is null) continue;
                    // Then let what follows gather in the socket for a moment and read it in one go: while processes
                    // start one at a time, that is one wake-up of this thread and one batch down the pipeline per window,
                    // not one wake-up per record (a wake-up costs more than the record). The socket holds far more than
                    // a window. An isolated event waits the short window; one soon after the last window the longer one.
                    burst = Environment.TickCount64 - lastWindowEnd < _options.BusyGapMs;
                    Thread.Sleep(burst ? _options.BusyDelayMs : _options.QuietDelayMs);
                    Drain(datagrams);
                }
                Quiet!();
                lastWindowEnd = Environment.TickCount64;
            }
            catch (ObjectDisposedException)
            {
                break; // the session closed the socket
            }
            catch (Exception e)
            {
                Raise(Faulted, e);
                break;
            }
        }
    }

    /// <summary>
    /// Datagrams read per syscall (recvmmsg): a storm's records come dozens to a read instead of one, and a syscall on a
    /// VM with page-table isolation costs more than parsing the record it brings.
    /// </summary>
    public const int DatagramsPerRead = 64;

    /// <summary>Reads the socket empty without waiting; whether it held any record.</summary>
    private bool Drain(NetlinkDatagrams datagrams)
    {
        var any = false;
        for (NetlinkReceiveStatus status; !_stop && (status = PumpMany(datagrams, 0)) != NetlinkReceiveStatus.Timeout;)
            any |= status == NetlinkReceiveStatus.Message;
        return any;
    }

    /// <summary>Reads what waits (up to <see cref="DatagramsPerRead"/>) and hands each record to the sink, in order.</summary>
    private NetlinkReceiveStatus PumpMany(NetlinkDatagrams datagrams, int timeoutMs)
    {
        var status = _socket.ReceiveMany(datagrams, timeoutMs, _wake.Fd);
        switch (status)
        {
            case NetlinkReceiveStatus.Message:
                var records = 0;
                for (var i = 0; i < datagrams.Count; i++)
                {
                    // Acks and command replies are not records; AUDIT_REPLACE is the kernel probing a registered daemon
                    // (binary payload) and is answered simply by our socket accepting it.
                    if (!AuditNetlinkSocket.TryParse(datagrams, i, out var msg)
                        || AuditMessageTypes.IsNetlinkControl(msg.Type) || msg.Type == AuditRecordType.Replace) continue;
                    records++;
                    Interlocked.Increment(ref _messages);
                    Interlocked.Add(ref _bytes, msg.Payload.Length);
                    try
                    {
                        _sink(msg.Type, msg.Payload);
                    }
                    catch (Exception e)
                    {
                        Interlocked.Increment(ref _sinkErrors);
                        Raise(HandlerFailed, e);
                    }
                }
                return records > 0 ? status : NetlinkReceiveStatus.Ignored;
            case NetlinkReceiveStatus.NoBuffers:
                long total = Interlocked.Increment(ref _noBufferEvents);
                Raise(LossDetected, new AuditLossEvent(AuditLossKind.SocketOverflow, 1, total, DateTimeOffset.UtcNow));
                return status;
            default:
                return status;
        }
    }

    private void PollLoop()
    {
        AuditNetlinkSocket? control = null;
        uint? previous = _options.LostBaseline;
        try
        {
            while (!_stop)
            {
                try
                {
                    control ??= AuditNetlinkSocket.Open();
                    var status = control.GetStatus();
                    Interlocked.Increment(ref _statusPolls);
                    if (previous is uint prev && status.Lost != prev)
                    {
                        // A smaller value means someone reset the counter (AUDIT_STATUS_LOST): count from zero.
                        long delta = status.Lost > prev ? status.Lost - prev : status.Lost;
                        if (delta > 0)
                        {
                            long total = Interlocked.Add(ref _kernelLost, delta);
                            Raise(LossDetected, new AuditLossEvent(AuditLossKind.KernelLost, delta, total, DateTimeOffset.UtcNow));
                        }
                    }
                    previous = status.Lost;
                    Raise(StatusPolled, status);
                }
                catch (Exception e) when (e is AuditNetlinkException or TimeoutException)
                {
                    Raise(HandlerFailed, e); // transient: try again next interval on a fresh socket
                    control?.Dispose();
                    control = null;
                }
                _stopSignal.Wait(_options.StatusPollInterval);
            }
        }
        finally
        {
            control?.Dispose();
        }
    }

    private void Raise<T>(Action<T>? handler, T arg)
    {
        if (handler is null) return;
        try
        {
            handler(arg);
        }
        catch (Exception e) when (!ReferenceEquals(handler, HandlerFailed))
        {
            Interlocked.Increment(ref _sinkErrors);
            try { HandlerFailed?.Invoke(e); } catch { /* a failing error handler must not kill the read thread */ }
        }
        catch
        {
            // HandlerFailed itself threw: swallow, the loop must survive.
        }
    }
}
