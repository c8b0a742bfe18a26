using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Godo.Agent.Netlink;

/// <summary>A process exit reported by the kernel's process events connector (only thread-group leaders: the process is gone).</summary>
/// <param name="ExitCode">A wait status: <c>code &amp; 0x7f</c> is the killing signal, <c>code &gt;&gt; 8</c> the exit status.</param>
/// <param name="TimestampNs">CLOCK_MONOTONIC of the exit, not the audit clock.</param>
public readonly record struct ProcExit(int Pid, int ExitCode, int ParentTgid, ulong TimestampNs)
{
    public int Signal => ExitCode & 0x7f;
    public int Status => (ExitCode >> 8) & 0xff;
}

/// <summary>What one connector datagram was.</summary>
public enum ProcEventKind { Other, Exit, ThreadExit, Ack }

/// <summary>One parsed connector datagram: its kind, the per-CPU sequence (cn_msg seq) and, for exits, the exit.</summary>
public readonly record struct ProcEventMessage(ProcEventKind Kind, int Cpu, uint Sequence, uint Ack, int AckError, ProcExit Exit);

/// <summary>
/// A NETLINK_CONNECTOR socket bound to CN_IDX_PROC: the kernel's process events (linux/cn_proc.h). Every exit is
/// reported there whatever its cause (signal, crash, OOM kill), which audit cannot see. Needs CAP_NET_ADMIN in the
/// initial user and pid namespace. Receive from one thread; <see cref="Dispose"/> from any.
/// </summary>
public sealed unsafe class ProcEventsSocket : IDisposable
{
    private const int CnIdxProc = 1, CnValProc = 1;
    private const int NlmsgDone = 3;
    private const int NlHeader = 16, CnHeader = 20;
    /// <summary>Offset of proc_event.what in a datagram: nlmsghdr + cn_msg.</summary>
    private const int EventOffset = NlHeader + CnHeader;
    private const uint ProcEventNone = 0, ProcEventExit = 0x80000000;
    private const uint McastListen = 1, McastIgnore = 2;

    private readonly AuditNetlinkSocket.FdHandle _fd;
    private uint _nonce = (uint)Random.Shared.Next(1 << 20, 1 << 30);

    private ProcEventsSocket(AuditNetlinkSocket.FdHandle fd, int receiveBufferBytes)
    {
        _fd = fd;
        ReceiveBufferBytes = receiveBufferBytes;
    }

    /// <summary>Effective SO_RCVBUF; a full buffer drops events (ENOBUFS).</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>True when the kernel (≥ 6.6) takes the filter: only exits are sent, so cn_msg sequences have gaps by design.</summary>
    public bool ExitsOnly { get; private set; }

    /// <summary>Opens and binds the socket; throws <see cref="AuditNetlinkException"/> (e.g. EPERM without CAP_NET_ADMIN).</summary>
    public static ProcEventsSocket Open(int receiveBufferBytes = 8 << 20)
    {
        int fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.NETLINK_CONNECTOR);
        if (fd < 0) throw new AuditNetlinkException("socket(AF_NETLINK, NETLINK_CONNECTOR)", Marshal.GetLastPInvokeError());
        var handle = new AuditNetlinkSocket.FdHandle(fd);
        try
        {
            int size = receiveBufferBytes;
            if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, &size, sizeof(int)) != 0)
                LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &size, sizeof(int));
            int actual = 0, len = sizeof(int);
            LibC.GetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &actual, &len);
            var addr = new LibC.SockAddrNl { Family = LibC.AF_NETLINK, Groups = 1u << (CnIdxProc - 1) };
            if (LibC.Bind(fd, &addr, sizeof(LibC.SockAddrNl)) != 0)
                throw new AuditNetlinkException("bind(NETLINK_CONNECTOR, CN_IDX_PROC)", Marshal.GetLastPInvokeError());
            return new ProcEventsSocket(handle, actual);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// PROC_CN_MCAST_LISTEN, acknowledged by the kernel. Then, on kernel 6.6 and later, the same with a filter
    /// (struct proc_input) for exits only: the kernel filters its acks too, so the filter's own request cannot be
    /// confirmed, and an older kernel silently drops it (the socket then keeps every event).
    /// </summary>
    public void Listen(int ackTimeoutMs = 1000)
    {
        SendControl(McastListen, null, out var nonce);
        if (!WaitForAck(nonce, ackTimeoutMs))
            throw new AuditNetlinkException("PROC_CN_MCAST_LISTEN: no ack (not in the initial pid and user namespace?)", LibC.EPERM);
        if (Environment.OSVersion.Version < new Version(6, 6)) return;
        SendControl(McastListen, ProcEventExit, out _);
        ExitsOnly = true;
        // Events queued before the filter took would look like a kernel that ignored it. Nothing of them is needed:
        // listening starts before the /proc bootstrap is read, so what happened until now is in it.
        var buffer = new byte[1024];
        for (var i = 0; i < 100_000 && Receive(buffer, 0, out _) != NetlinkReceiveStatus.Timeout; i++) { }
    }

    /// <summary>An event other than an exit arrived: the kernel did not take the filter after all.</summary>
    internal void FilterNotTaken() => ExitsOnly = false;

    /// <summary>PROC_CN_MCAST_IGNORE, so the kernel stops counting this listener; best effort.</summary>
    public void Ignore()
    {
        try { SendControl(McastIgnore, null, out _); }
        catch (Exception e) when (e is AuditNetlinkException or ObjectDisposedException) { }
    }

    private bool WaitForAck(uint nonce, int timeoutMs)
    {
        var buffer = new byte[1024];
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            var status = Receive(buffer, (int)Math.Max(1, timeoutMs - sw.ElapsedMilliseconds), out var m);
            if (status == NetlinkReceiveStatus.Message && m.Kind == ProcEventKind.Ack && m.Ack == nonce + 1)
            {
                if (m.AckError != 0) throw new AuditNetlinkException("PROC_CN_MCAST_LISTEN", m.AckError);
                return true;
            }
        }
        return false;
    }

    private void SendControl(uint op, uint? eventFilter, out uint nonce)
    {
        nonce = Interlocked.Increment(ref _nonce);
        int payload = eventFilter is null ? 4 : 8;
        var frame = new byte[NlHeader + CnHeader + payload];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)frame.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), NlmsgDone);
        var cn = frame.AsSpan(NlHeader);
        BinaryPrimitives.WriteUInt32LittleEndian(cn, CnIdxProc);
        BinaryPrimitives.WriteUInt32LittleEndian(cn[4..], CnValProc);
        BinaryPrimitives.WriteUInt32LittleEndian(cn[8..], nonce);   // seq: echoed in the ack
        BinaryPrimitives.WriteUInt32LittleEndian(cn[12..], nonce);  // ack: the kernel answers nonce + 1
        BinaryPrimitives.WriteUInt16LittleEndian(cn[16..], (ushort)payload);
        BinaryPrimitives.WriteUInt32LittleEndian(cn[CnHeader..], op);
        if (eventFilter is { } filter) BinaryPrimitives.WriteUInt32LittleEndian(cn[(CnHeader + 4)..], filter);
        bool added = false;
        _fd.DangerousAddRef(ref added);
        try
        {
            var kernel = new LibC.SockAddrNl { Family = LibC.AF_NETLINK };
            nint n;
            fixed (byte* p = frame) n = LibC.SendTo((int)_fd.DangerousGetHandle(), p, frame.Length, 0, &kernel, sizeof(LibC.SockAddrNl));
            if (n < 0) throw new AuditNetlinkException("sendto(NETLINK_CONNECTOR)", Marshal.GetLastPInvokeError());
        }
        finally
        {
            if (added) _fd.DangerousRelease();
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (or until <paramref name="wakeFd"/> is readable) for one datagram from the kernel and parses it.</summary>
    public NetlinkReceiveStatus Receive(Span<byte> buffer, int timeoutMs, out ProcEventMessage message, int wakeFd = -1)
    {
        message = default;
        var status = _fd.ReceiveFrom(buffer, timeoutMs, "NETLINK_CONNECTOR", out int length, out uint fromPort, wakeFd);
        if (status != NetlinkReceiveStatus.Message) return status;
        if (fromPort != 0 || !TryParse(buffer[..Math.Min(length, buffer.Length)], out message)) return NetlinkReceiveStatus.Ignored;
        return NetlinkReceiveStatus.Message;
    }

    /// <summary>Every datagram waiting, up to the room of <paramref name="into"/>, in one syscall (see <see cref="AuditNetlinkSocket.ReceiveMany"/>); read them with <see cref="TryParse(NetlinkDatagrams, int, out ProcEventMessage)"/>.</summary>
    public NetlinkReceiveStatus ReceiveMany(NetlinkDatagrams into, int timeoutMs, int wakeFd = -1) =>
        _fd.ReceiveMany(into, timeoutMs, "NETLINK_CONNECTOR", wakeFd);

    /// <summary>The <paramref name="i"/>th datagram of a <see cref="ReceiveMany"/>; false for one <see cref="Receive"/> would call Ignored.</summary>
    public static bool TryParse(NetlinkDatagrams datagrams, int i, out ProcEventMessage message)
    {
        message = default;
        return datagrams.FromPort(i) == 0 && TryParse(datagrams[i], out message);
    }

    /// <summary>nlmsghdr (16) + cn_msg (20) + proc_event {what, cpu, timestamp_ns, data}; exit data at offset 52.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> d, out ProcEventMessage message)
    {
        message = default;
        if (d.Length < EventOffset + 16) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(d[NlHeader..]) != CnIdxProc) return false;
        uint seq = BinaryPrimitives.ReadUInt32LittleEndian(d[(NlHeader + 8)..]);
        uint ack = BinaryPrimitives.ReadUInt32LittleEndian(d[(NlHeader + 12)..]);
        var ev = d[EventOffset..];
        uint what = BinaryPrimitives.ReadUInt32LittleEndian(ev);
        int cpu = BinaryPrimitives.ReadInt32LittleEndian(ev[4..]);
        ulong ts = BinaryPrimitives.ReadUInt64LittleEndian(ev[8..]);
        var data = ev[16..];
        switch (what)
        {
            case ProcEventNone when data.Length >= 4:
                message = new ProcEventMessage(ProcEventKind.Ack, cpu, seq, ack, BinaryPrimitives.ReadInt32LittleEndian(data), default);
                return true;
            case ProcEventExit when data.Length >= 24:
                int pid = BinaryPrimitives.ReadInt32LittleEndian(data);
                int tgid = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
                var exit = new ProcExit(pid, BinaryPrimitives.ReadInt32LittleEndian(data[8..]), BinaryPrimitives.ReadInt32LittleEndian(data[20..]), ts);
                // Every thread's exit is reported; the process is gone only with its leader (pid == tgid).
                message = new ProcEventMessage(pid == tgid ? ProcEventKind.Exit : ProcEventKind.ThreadExit, cpu, seq, ack, 0, exit);
                return true;
            default:
                message = new ProcEventMessage(ProcEventKind.Other, cpu, seq, ack, 0, default);
                return true;
        }
    }

    public void Dispose() => _fd.Dispose();
}
