using System.Runtime.InteropServices;

namespace Godo.Agent.Netlink;

/// <summary>
/// Room for up to <see cref="Capacity"/> datagrams read by one recvmmsg call (<see cref="AuditNetlinkSocket.ReceiveMany"/>):
/// a storm's records are read many to a syscall instead of one, and on this kind of VM (page-table isolation) the
/// syscall costs more than the record. Native memory, so the kernel writes straight into it; its pages become
/// resident only as datagrams land in them. One reading thread at a time.
/// </summary>
public sealed unsafe class NetlinkDatagrams : IDisposable
{
    private readonly int _slotBytes;
    private byte* _slots;
    private LibC.MMsgHdr* _headers;
    private LibC.IoVec* _iov;
    private LibC.SockAddrNl* _from;

    /// <param name="capacity">datagrams per call.</param>
    /// <param name="slotBytes">room for each: a longer datagram is truncated to it, as by <see cref="AuditNetlinkSocket.Receive"/>.</param>
    public NetlinkDatagrams(int capacity = 64, int slotBytes = AuditNetlinkSocket.RecommendedBufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBytes, AuditNetlinkSocket.NlmsgHeaderLength);
        Capacity = capacity;
        _slotBytes = slotBytes;
        _slots = (byte*)NativeMemory.Alloc((nuint)capacity * (nuint)slotBytes);
        _headers = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(LibC.MMsgHdr));
        _iov = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(LibC.IoVec));
        _from = (LibC.SockAddrNl*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(LibC.SockAddrNl));
        for (var i = 0; i < capacity; i++)
        {
            _iov[i] = new LibC.IoVec { Base = _slots + (nint)i * slotBytes, Length = (nuint)slotBytes };
            _headers[i].Iov = &_iov[i];
            _headers[i].IovLength = 1;
            _headers[i].Name = &_from[i];
        }
    }

    public int Capacity { get; }

    /// <summary>Datagrams the last receive read.</summary>
    public int Count { get; private set; }

    /// <summary>The <paramref name="i"/>th datagram read (cut to its slot when it was longer); valid until the next receive.</summary>
    public ReadOnlySpan<byte> this[int i]
    {
        get
        {
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
            return new ReadOnlySpan<byte>(_slots + (nint)i * _slotBytes, (int)Math.Min(_headers[i].Length, (uint)_slotBytes));
        }
    }

    /// <summary>The netlink port the <paramref name="i"/>th datagram came from: 0 is the kernel.</summary>
    public uint FromPort(int i) => (uint)i < (uint)Count ? _from[i].Pid : throw new ArgumentOutOfRangeException(nameof(i));

    /// <summary>One non-blocking recvmmsg: the count read, 0 when the socket is empty, or -errno.</summary>
    internal int Receive(int fd, int flags)
    {
        ObjectDisposedException.ThrowIf(_headers is null, this);
        for (var i = 0; i < Capacity; i++) _headers[i].NameLength = sizeof(LibC.SockAddrNl); // the kernel writes back what it used
        var n = LibC.RecvMMsg(fd, _headers, (uint)Capacity, flags, null);
        if (n >= 0) { Count = n; return n; }
        Count = 0;
        var errno = Marshal.GetLastPInvokeError();
        return errno == LibC.EAGAIN ? 0 : -errno;
    }

    public void Dispose()
    {
        if (_headers is null) return;
        NativeMemory.Free(_slots);
        NativeMemory.Free(_headers);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_from);
        _slots = null; _headers = null; _iov = null; _from = null;
        Count = 0;
    }
}
