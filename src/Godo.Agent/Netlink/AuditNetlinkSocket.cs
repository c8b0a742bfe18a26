using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Godo.Agent.Netlink;

/// <summary>Outcome of one <see cref="AuditNetlinkSocket.Receive"/> call.</summary>
public enum NetlinkReceiveStatus
{
    /// <summary>A datagram from the kernel was read; the out message is valid.</summary>
    Message,

    /// <summary>Nothing arrived within the timeout (or the wait was interrupted); just call again.</summary>
    Timeout,

    /// <summary>The socket's receive buffer overflowed and the kernel dropped datagrams (ENOBUFS). Not fatal.</summary>
    NoBuffers,

    /// <summary>A datagram was read but dropped: not from the kernel (port id != 0) or shorter than a header.</summary>
    Ignored,
}

/// <summary>One netlink message from the kernel. <see cref="Payload"/> points into the caller's buffer.</summary>
public readonly ref struct AuditNetlinkMessage
{
    public AuditNetlinkMessage(int type, ushort flags, uint sequence, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        Payload = payload;
    }

    /// <summary>nlmsg_type: a netlink control type (2 = ERROR, 3 = DONE), a command reply (1000, 1013) or a record type (1300...).</summary>
    public int Type { get; }
    public ushort Flags { get; }
    public uint Sequence { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>
    /// For NLMSG_ERROR: the positive errno, 0 for a plain ack, or a negative number when the kernel returned a
    /// positive value through the ack (AUDIT_SET of LOST alone returns the old count that way).
    /// </summary>
    public int AckErrno => Type == AuditMessageTypes.NlmsgError && Payload.Length >= 4
        ? -BinaryPrimitives.ReadInt32LittleEndian(Payload)
        : 0;
}

/// <summary>
/// A NETLINK_AUDIT socket: talks to the kernel only (sendto port 0, accepts only datagrams from port 0).
/// Receive and the request helpers (<see cref="Execute"/>, <see cref="Query"/>, <see cref="QueryAll"/>) must be
/// used from one thread at a time; <see cref="Send"/> and <see cref="Dispose"/> may be called from any thread.
/// </summary>
public sealed unsafe class AuditNetlinkSocket : IDisposable
{
    /// <summary>AUDIT_NLGRP_READLOG: the read-only multicast group every kernel record is copied to (kernel ≥ 3.16).</summary>
    public const int AuditNlgrpReadlog = 1;

    public const int NlmsgHeaderLength = 16;

    /// <summary>A receive buffer that always holds a whole datagram (header + 8970, libaudit's MAX_AUDIT_MESSAGE_LENGTH, rounded up).</summary>
    public const int RecommendedBufferSize = 16 * 1024;

    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFAck = 0x4;

    private readonly FdHandle _fd;
    private byte[]? _replyBuffer;
    private int _sequence;
    private long _noBufferErrors;

    private AuditNetlinkSocket(FdHandle fd, uint portId, bool multicast, int receiveBufferBytes)
    {
        _fd = fd;
        PortId = portId;
        IsMulticast = multicast;
        ReceiveBufferBytes = receiveBufferBytes;
        // Start sequences away from 0: kernel records carry seq 0, so a reply can never be mistaken for one.
        _sequence = Random.Shared.Next(1, 1 << 20);
    }

    /// <summary>
    /// Opens and binds a socket. <paramref name="joinReadLog"/> joins AUDIT_NLGRP_READLOG (needs CAP_AUDIT_READ).
    /// <paramref name="receiveBufferBytes"/> &gt; 0 sizes SO_RCVBUF, first with SO_RCVBUFFORCE (ignores
    /// net.core.rmem_max, needs CAP_NET_ADMIN), falling back to SO_RCVBUF (capped by rmem_max).
    /// </summary>
    public static AuditNetlinkSocket Open(bool joinReadLog = false, int receiveBufferBytes = 0)
    {
        int fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_AUDIT);
        if (fd < 0) throw new AuditNetlinkException("socket(AF_NETLINK, NETLINK_AUDIT)", Marshal.GetLastPInvokeError());
        var handle = new FdHandle(fd);
        try
        {
            if (receiveBufferBytes > 0)
            {
                int size = receiveBufferBytes;
                if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, &size, sizeof(int)) != 0)
                {
                    // No CAP_NET_ADMIN: take what rmem_max allows rather than failing.
                    LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &size, sizeof(int));
                }
            }

            int actual = 0, len = sizeof(int);
            LibC.GetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &actual, &len);

            var addr = new LibC.SockAddrNl
            {
                Family = LibC.AF_NETLINK,
                Pid = 0, // let the kernel pick a unique port id
                Groups = joinReadLog ? 1u << (AuditNlgrpReadlog - 1) : 0u,
            };
            if (LibC.Bind(fd, &addr, sizeof(LibC.SockAddrNl)) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new AuditNetlinkException(joinReadLog ? "bind(NETLINK_AUDIT, group AUDIT_NLGRP_READLOG)" : "bind(NETLINK_AUDIT)", errno);
            }

            var bound = default(LibC.SockAddrNl);
            int blen = sizeof(LibC.SockAddrNl);
            if (LibC.GetSockName(fd, &bound, &blen) != 0)
                throw new AuditNetlinkException("getsockname(NETLINK_AUDIT)", Marshal.GetLastPInvokeError());

            return new AuditNetlinkSocket(handle, bound.Pid, joinReadLog, actual);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Netlink port id the kernel assigned; unicast records are sent to it once it registers as the audit daemon.</summary>
    public uint PortId { get; }

    /// <summary>True when bound to AUDIT_NLGRP_READLOG.</summary>
    public bool IsMulticast { get; }

    /// <summary>Effective SO_RCVBUF as reported by the kernel (it doubles the requested value for bookkeeping).</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>ENOBUFS seen on receive: each one means at least one datagram was dropped by the kernel. Test seam.</summary>
    public long NoBufferErrors => Interlocked.Read(ref _noBufferErrors);

    /// <summary>How long request helpers wait for the kernel's reply.</summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public bool IsClosed => _fd.IsClosed;

    /// <summary>Sends one request to the kernel; returns the sequence number used (replies echo it).</summary>
    public uint Send(int type, ReadOnlySpan<byte> payload, bool requestAck)
    {
        uint seq = unchecked((uint)Interlocked.Increment(ref _sequence));
        int total = NlmsgHeaderLength + ((payload.Length + 3) & ~3);
        byte[] frame = new byte[total];
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(0), (uint)(NlmsgHeaderLength + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), checked((ushort)type));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(6), (ushort)(NlmFRequest | (requestAck ? NlmFAck : 0)));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), seq);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12), PortId);
        payload.CopyTo(frame.AsSpan(NlmsgHeaderLength));

        bool added = false;
        _fd.DangerousAddRef(ref added);
        try
        {
            int fd = (int)_fd.DangerousGetHandle();
            var kernel = new LibC.SockAddrNl { Family = LibC.AF_NETLINK };
            while (true)
            {
                nint n;
                fixed (byte* p = frame) n = LibC.SendTo(fd, p, frame.Length, 0, &kernel, sizeof(LibC.SockAddrNl));
                if (n >= 0) return seq;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR) continue;
                throw new AuditNetlinkException($"sendto(type {type})", errno);
            }
        }
        finally
        {
            if (added) _fd.DangerousRelease();
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1 = forever, 0 = don't wait; a readable <paramref name="wakeFd"/> ends
    /// the wait) for one datagram. Audit sends one
    /// message per datagram; for records the payload is everything after the header because the kernel's
    /// nlmsg_len is unreliable for them (it excludes the header on unicast). Trailing NULs are trimmed.
    /// </summary>
    public NetlinkReceiveStatus Receive(Span<byte> buffer, int timeoutMs, out AuditNetlinkMessage message, int wakeFd = -1)
    {
        message = default;
        var status = _fd.ReceiveFrom(buffer, timeoutMs, "NETLINK_AUDIT", out int length, out uint fromPort, wakeFd);
        if (status == NetlinkReceiveStatus.NoBuffers) Interlocked.Increment(ref _noBufferErrors);
        if (status != NetlinkReceiveStatus.Message) return status;
        if (fromPort != 0) return NetlinkReceiveStatus.Ignored; // not from the kernel
        if (length > buffer.Length) length = buffer.Length; // truncated: only its start was kept
        if (length < NlmsgHeaderLength) return NetlinkReceiveStatus.Ignored;
        message = Parse(buffer[..length]);
        return NetlinkReceiveStatus.Message;
    }

    /// <summary>
    /// Reads every datagram waiting, up to the room of <paramref name="into"/>, in one syscall (waiting as
    /// <see cref="Receive"/> does when there is none); read them with <see cref="TryParse"/>.
    /// </summary>
    public NetlinkReceiveStatus ReceiveMany(NetlinkDatagrams into, int timeoutMs, int wakeFd = -1)
    {
        var status = _fd.ReceiveMany(into, timeoutMs, "NETLINK_AUDIT", wakeFd);
        if (status == NetlinkReceiveStatus.NoBuffers) Interlocked.Increment(ref _noBufferErrors);
        return status;
    }

    /// <summary>The <paramref name="i"/>th datagram of a <see cref="ReceiveMany"/>; false for one <see cref="Receive"/> would call Ignored.</summary>
    public static bool TryParse(NetlinkDatagrams datagrams, int i, out AuditNetlinkMessage message)
    {
        message = default;
        var datagram = datagrams[i];
        if (datagrams.FromPort(i) != 0 || datagram.Length < NlmsgHeaderLength) return false; // not from the kernel, or no header
        message = Parse(datagram);
        return true;
    }

    /// <summary>Splits one datagram into header and payload (see <see cref="Receive"/> for the length rules).</summary>
    internal static AuditNetlinkMessage Parse(ReadOnlySpan<byte> datagram)
    {
        uint nlLen = BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        int type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(datagram[6..]);
        uint seq = BinaryPrimitives.ReadUInt32LittleEndian(datagram[8..]);

        ReadOnlySpan<byte> payload;
        if (AuditMessageTypes.IsNetlinkControl(type) && nlLen >= NlmsgHeaderLength && nlLen <= datagram.Length)
        {
            payload = datagram[NlmsgHeaderLength..(int)nlLen]; // generic netlink messages have a correct length
        }
        else
        {
            payload = datagram[NlmsgHeaderLength..];
            if (type >= 1100)
            {
                int end = payload.Length;
                while (end > 0 && payload[end - 1] == 0) end--;
                payload = payload[..end];
            }
        }
        return new AuditNetlinkMessage(type, flags, seq, payload);
    }

    /// <summary>Sends a command with NLM_F_ACK and waits for the kernel's ack; a negative ack throws.</summary>
    public void Execute(int type, ReadOnlySpan<byte> payload, string operation) => ExecuteForAckValue(type, payload, operation);

    /// <summary>
    /// Like <see cref="Execute"/> but returns the ack's raw value: 0, or a positive number some commands return
    /// through the ack (AUDIT_SET with only the LOST bit returns the old lost count there).
    /// </summary>
    public int ExecuteForAckValue(int type, ReadOnlySpan<byte> payload, string operation)
    {
        uint seq = Send(type, payload, requestAck: true);
        int ack = 0;
        WaitFor(seq, replyType: -1, operation, p => ack = BinaryPrimitives.ReadInt32LittleEndian(p), untilDone: false);
        return ack;
    }

    /// <summary>Sends a request and returns the payload of the first reply of <paramref name="replyType"/>.</summary>
    public byte[] Query(int type, ReadOnlySpan<byte> payload, int replyType, string operation)
    {
        uint seq = Send(type, payload, requestAck: false);
        byte[]? result = null;
        WaitFor(seq, replyType, operation, p => result = p, untilDone: false);
        return result!;
    }

    /// <summary>Sends a dump-style request (e.g. AUDIT_LIST_RULES) and collects every reply until NLMSG_DONE.</summary>
    public List<byte[]> QueryAll(int type, int replyType, string operation)
    {
        uint seq = Send(type, ReadOnlySpan<byte>.Empty, requestAck: false);
        var results = new List<byte[]>();
        WaitFor(seq, replyType, operation, results.Add, untilDone: true);
        return results;
    }

    private void WaitFor(uint seq, int replyType, string operation, Action<byte[]>? onReply, bool untilDone)
    {
        _replyBuffer ??= new byte[RecommendedBufferSize];
        var sw = Stopwatch.StartNew();
        while (true)
        {
            int remaining = (int)Math.Max(0, (ReplyTimeout - sw.Elapsed).TotalMilliseconds);
            if (remaining == 0) throw new TimeoutException($"{operation}: no reply from the kernel within {ReplyTimeout.TotalSeconds:0.#} s");

            var status = Receive(_replyBuffer, Math.Min(remaining, 250), out var msg);
            if (status != NetlinkReceiveStatus.Message) continue;
            // Not our reply (e.g. records queued before a unicast SET pid ack): dropped.
            if (msg.Sequence != seq || (msg.Type >= 1100 && msg.Type != replyType)) continue;

            switch (msg.Type)
            {
                case AuditMessageTypes.NlmsgError:
                    int errno = msg.AckErrno;
                    if (errno > 0) throw new AuditNetlinkException(operation, errno);
                    if (replyType < 0)
                    {
                        onReply?.Invoke(msg.Payload.ToArray()); // the ack is the reply of an Execute
                        return;
                    }
                    continue; // ack of a query: the data comes (or came) separately
                case AuditMessageTypes.NlmsgDone:
                    if (untilDone) return;
                    continue;
                default:
                    if (msg.Type == replyType)
                    {
                        onReply?.Invoke(msg.Payload.ToArray());
                        if (!untilDone) return;
                    }
                    continue;
            }
        }
    }

    public void Dispose() => _fd.Dispose();

    /// <summary>SafeHandle so a close on one thread waits for an in-flight poll/recv on another (no fd reuse races).</summary>
    internal sealed class FdHandle : SafeHandle
    {
        public FdHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));
        public override bool IsInvalid => handle == new IntPtr(-1);
        protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;

        /// <summary>
        /// Waits up to <paramref name="timeoutMs"/> (-1 = forever, 0 = don't wait) and reads one datagram of a netlink
        /// socket: Message (<paramref name="length"/> is its full size, more than the buffer when truncated),
        /// Timeout (nothing, or interrupted, or <paramref name="wakeFd"/> readable), or NoBuffers (ENOBUFS: the kernel
        /// dropped datagrams).
        /// </summary>
        public NetlinkReceiveStatus ReceiveFrom(Span<byte> buffer, int timeoutMs, string protocol, out int length, out uint fromPort, int wakeFd = -1)
        {
            length = 0;
            fromPort = 0;
            bool added = false;
            DangerousAddRef(ref added); // keeps the fd number valid even if Dispose runs on another thread
            try
            {
                int fd = (int)handle;
                // Read first and poll only when the socket is empty: in a burst that is one syscall per datagram, not two.
                var status = TryReceive(fd, buffer, protocol, out var n, out fromPort);
                if (status != NetlinkReceiveStatus.Timeout || timeoutMs == 0) { length = (int)n; return status; }
                if (!WaitReadable(fd, timeoutMs, wakeFd, protocol)) return NetlinkReceiveStatus.Timeout;
                status = TryReceive(fd, buffer, protocol, out n, out fromPort);
                length = (int)n;
                return status;
            }
            finally
            {
                if (added) DangerousRelease();
            }
        }

        /// <summary>
        /// The same as <see cref="ReceiveFrom"/>, but every datagram waiting (up to the room of <paramref name="into"/>) in
        /// one recvmmsg: Message when at least one was read.
        /// </summary>
        public NetlinkReceiveStatus ReceiveMany(NetlinkDatagrams into, int timeoutMs, string protocol, int wakeFd = -1)
        {
            bool added = false;
            DangerousAddRef(ref added);
            try
            {
                int fd = (int)handle;
                var status = TryReceiveMany(fd, into, protocol);
                if (status != NetlinkReceiveStatus.Timeout || timeoutMs == 0) return status;
                return WaitReadable(fd, timeoutMs, wakeFd, protocol) ? TryReceiveMany(fd, into, protocol) : NetlinkReceiveStatus.Timeout;
            }
            finally
            {
                if (added) DangerousRelease();
            }
        }

        /// <summary>Polls the socket (and <paramref name="wakeFd"/>): false on timeout, interruption, or the wake fd.</summary>
        private static bool WaitReadable(int fd, int timeoutMs, int wakeFd, string protocol)
        {
            var pfds = stackalloc LibC.PollFd[2];
            pfds[0] = new LibC.PollFd { Fd = fd, Events = LibC.POLLIN };
            pfds[1] = new LibC.PollFd { Fd = wakeFd, Events = LibC.POLLIN };
            int rc = LibC.Poll(pfds, wakeFd >= 0 ? 2u : 1u, timeoutMs);
            if (rc == 0 || pfds[0].REvents == 0) return false; // or woken to stop
            if (rc < 0)
            {
                int perr = Marshal.GetLastPInvokeError();
                if (perr == LibC.EINTR) return false;
                throw new AuditNetlinkException($"poll({protocol})", perr);
            }
            // POLLERR (ENOBUFS) and POLLIN both go to the receive, which reports which one it was.
            return true;
        }

        private static NetlinkReceiveStatus TryReceiveMany(int fd, NetlinkDatagrams into, string protocol)
        {
            int n = into.Receive(fd, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC);
            if (n > 0) return NetlinkReceiveStatus.Message;
            return -n switch
            {
                0 or LibC.EINTR => NetlinkReceiveStatus.Timeout,
                LibC.ENOBUFS => NetlinkReceiveStatus.NoBuffers,
                _ => throw new AuditNetlinkException($"recvmmsg({protocol})", -n),
            };
        }

        private static NetlinkReceiveStatus TryReceive(int fd, Span<byte> buffer, string protocol, out nint n, out uint fromPort)
        {
            var from = default(LibC.SockAddrNl);
            int fromLen = sizeof(LibC.SockAddrNl);
            fixed (byte* p = buffer)
                n = LibC.RecvFrom(fd, p, buffer.Length, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC, &from, &fromLen);
            fromPort = from.Pid;
            if (n >= 0) return NetlinkReceiveStatus.Message;
            int errno = Marshal.GetLastPInvokeError();
            n = 0;
            return errno switch
            {
                LibC.EAGAIN or LibC.EINTR => NetlinkReceiveStatus.Timeout,
                LibC.ENOBUFS => NetlinkReceiveStatus.NoBuffers,
                _ => throw new AuditNetlinkException($"recvfrom({protocol})", errno),
            };
        }
    }
}
