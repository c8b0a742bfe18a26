using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Godo.Agent.Netlink;

namespace Godo.Agent.Tests.Netlink;

/// <summary>
/// recvmmsg as the audit and connector readers use it, on two NETLINK_USERSOCK sockets of this process (one sends to
/// the other's port): no kernel audit state involved. Datagrams come back whole, in order, as many as there is room
/// for per call, with their sender's port; longer ones are cut to their slot.
/// </summary>
public unsafe class NetlinkDatagramsTests
{
    private const int NetlinkUsersock = 2;

    [Fact]
    public void The_struct_handed_to_recvmmsg_has_the_kernels_layout()
    {
        Assert.Equal(64, sizeof(LibC.MMsgHdr));
        Assert.Equal(16, sizeof(LibC.IoVec));
        Assert.Equal(56, (int)Marshal.OffsetOf<LibC.MMsgHdr>(nameof(LibC.MMsgHdr.Length)));
    }

    [Fact]
    public void Reads_what_waits_up_to_its_room_per_call_in_order_with_the_senders_port()
    {
        var (receiver, receiverPort) = Open();
        var (sender, senderPort) = Open();
        using var handle = new AuditNetlinkSocket.FdHandle(receiver);
        try
        {
            for (var i = 0; i < 100; i++) Send(sender, receiverPort, $"record {i}");
            using var datagrams = new NetlinkDatagrams(capacity: 64, slotBytes: 256);
            var seen = new List<string>();
            Assert.Equal(NetlinkReceiveStatus.Message, handle.ReceiveMany(datagrams, 0, "test"));
            Assert.Equal(64, datagrams.Count);
            Collect(datagrams, senderPort, seen);
            Assert.Equal(NetlinkReceiveStatus.Message, handle.ReceiveMany(datagrams, 1000, "test"));
            Assert.Equal(36, datagrams.Count);
            Collect(datagrams, senderPort, seen);
            Assert.Equal(Enumerable.Range(0, 100).Select(i => $"record {i}"), seen);
            Assert.Equal(NetlinkReceiveStatus.Timeout, handle.ReceiveMany(datagrams, 0, "test"));
            Assert.Equal(0, datagrams.Count);
        }
        finally
        {
            LibC.Close(sender);
        }
    }

    [Fact]
    public void A_datagram_longer_than_its_slot_is_cut_to_it_and_the_next_one_is_whole()
    {
        var (receiver, receiverPort) = Open();
        var (sender, _) = Open();
        using var handle = new AuditNetlinkSocket.FdHandle(receiver);
        try
        {
            Send(sender, receiverPort, new string('x', 500));
            Send(sender, receiverPort, "short");
            using var datagrams = new NetlinkDatagrams(capacity: 8, slotBytes: 128);
            Assert.Equal(NetlinkReceiveStatus.Message, handle.ReceiveMany(datagrams, 0, "test"));
            Assert.Equal(2, datagrams.Count);
            Assert.Equal(128, datagrams[0].Length);
            Assert.Equal("short", Payload(datagrams[1]));
            Assert.Throws<ArgumentOutOfRangeException>(() => datagrams[2].Length);
        }
        finally
        {
            LibC.Close(sender);
        }
    }

    private static void Collect(NetlinkDatagrams datagrams, uint senderPort, List<string> into)
    {
        for (var i = 0; i < datagrams.Count; i++)
        {
            Assert.Equal(senderPort, datagrams.FromPort(i));
            Assert.False(AuditNetlinkSocket.TryParse(datagrams, i, out _)); // not from the kernel: never a record
            into.Add(Payload(datagrams[i]));
        }
    }

    private static string Payload(ReadOnlySpan<byte> datagram) =>
        System.Text.Encoding.ASCII.GetString(datagram[AuditNetlinkSocket.NlmsgHeaderLength..(int)BinaryPrimitives.ReadUInt32LittleEndian(datagram)]);

    private static (int Fd, uint Port) Open()
    {
        var fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NetlinkUsersock);
        Assert.True(fd >= 0, $"socket: errno {Marshal.GetLastPInvokeError()}");
        var addr = new LibC.SockAddrNl { Family = LibC.AF_NETLINK };
        Assert.Equal(0, LibC.Bind(fd, &addr, sizeof(LibC.SockAddrNl)));
        var bound = default(LibC.SockAddrNl);
        var len = sizeof(LibC.SockAddrNl);
        Assert.Equal(0, LibC.GetSockName(fd, &bound, &len));
        return (fd, bound.Pid);
    }

    private static void Send(int fd, uint port, string text)
    {
        var frame = new byte[AuditNetlinkSocket.NlmsgHeaderLength + text.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)frame.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), 1300);
        System.Text.Encoding.ASCII.GetBytes(text, frame.AsSpan(AuditNetlinkSocket.NlmsgHeaderLength));
        var to = new LibC.SockAddrNl { Family = LibC.AF_NETLINK, Pid = port };
        fixed (byte* p = frame)
            Assert.Equal(frame.Length, (int)LibC.SendTo(fd, p, frame.Length, 0, &to, sizeof(LibC.SockAddrNl)));
    }
}
