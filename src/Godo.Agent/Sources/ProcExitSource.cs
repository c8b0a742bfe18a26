using System.Runtime.InteropServices;
using Akka.Actor;
using Godo.Agent.Netlink;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using Microsoft.Extensions.Logging;

namespace Godo.Agent.Sources;

/// <summary>
/// Feeds the tree actor the exits of the kernel's process events connector, beside the audit source: every death
/// whatever its cause, which audit's syscall rules miss when the process makes no syscall on its way out. Exit
/// times are turned from the connector's monotonic clock into wall-clock milliseconds, the clock of audit's events.
/// When the connector cannot be opened (no CAP_NET_ADMIN, not in the initial namespaces) the agent runs audit-only.
/// </summary>
public sealed class ProcExitSource : IDisposable
{
    private readonly ProcEventsSocket _socket;
    private ProcEventsReceiver? _receiver;

    private ProcExitSource(ProcEventsSocket socket) => _socket = socket;

    /// <summary>
    /// Opens the connector and subscribes; null (logged once) when it cannot be opened. Open it before the /proc
    /// bootstrap is read and <see cref="Start"/> it after: the kernel keeps the exits in between in the socket.
    /// </summary>
    public static ProcExitSource? TryOpen(ILogger log)
    {
        ProcEventsSocket? socket = null;
        try
        {
            socket = ProcEventsSocket.Open();
            socket.Listen();
            return new ProcExitSource(socket);
        }
        catch (AuditNetlinkException e)
        {
            socket?.Dispose();
            log.LogWarning("process events connector unavailable ({Error}): running audit-only, so deaths without a syscall " +
                           "(signals, crashes, OOM kills) leave the tree only at the next /proc reconciliation", e.Message);
            return null;
        }
    }

    /// <summary>Starts the reading thread: every process exit goes to the tree actor, every loss asks for a reconciliation.</summary>
    public void Start(IActorRef tree, PipelineStats stats, ILogger log)
    {
        var receiver = new ProcEventsReceiver(_socket, exits =>
        {
            long offsetNs = MonotonicToWallClockNs();
            var batch = new TreeProtocol.ProcessExit[exits.Length];
            for (var i = 0; i < exits.Length; i++)
                batch[i] = new TreeProtocol.ProcessExit(exits[i].Pid, ((long)exits[i].TimestampNs + offsetNs) / 1_000_000, exits[i].ExitCode);
            tree.Tell(new TreeProtocol.ProcessesExited(ImmutableCollectionsMarshal.AsImmutableArray(batch)));
        });
        receiver.LossDetected += (count, total, why) =>
        {
            Interlocked.Exchange(ref stats.ProcEventsLost, total);
            log.LogWarning("process events lost ({Why}, {Count}); reconciling with /proc", why, count);
            tree.Tell(new TreeProtocol.RequestReconcile($"loss: proc events {why}"));
        };
        receiver.Faulted += e =>
        {
            Interlocked.Exchange(ref stats.ProcEventsOpen, 0);
            log.LogError(e, "the process events receiver failed: running audit-only from now on");
        };
        _receiver = receiver;
        receiver.Start();
        Interlocked.Exchange(ref stats.ProcEventsOpen, 1);
        log.LogInformation("process events connector: listening to {What}, receive buffer {Buffer} KiB",
            _socket.ExitsOnly ? "exits only" : "every event (no filter before kernel 6.6)", _socket.ReceiveBufferBytes / 1024);
    }

    /// <summary>What to add to a CLOCK_MONOTONIC time to get Unix nanoseconds: the offset between the two clocks now (read once per batch of exits).</summary>
    private static unsafe long MonotonicToWallClockNs()
    {
        LibC.TimeSpec real, mono;
        LibC.ClockGetTime(LibC.CLOCK_REALTIME, &real);
        LibC.ClockGetTime(LibC.CLOCK_MONOTONIC, &mono);
        return real.Seconds * 1_000_000_000 + real.Nanoseconds - (mono.Seconds * 1_000_000_000 + mono.Nanoseconds);
    }

    public void Dispose()
    {
        _receiver?.Stop();
        _socket.Ignore();
        _socket.Dispose();
    }
}
