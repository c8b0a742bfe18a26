using System.Runtime.InteropServices;
using Godo.Agent.Netlink;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Netlink;

/// <summary>
/// Real permission failures without a second process: Linux capabilities are per thread, so a dedicated thread
/// drops CAP_AUDIT_CONTROL / CAP_AUDIT_READ from its own effective set and tries; the thread then ends and the
/// rest of the test host keeps its capabilities.
/// </summary>
[Collection(KernelAuditCollection.Name)]
public class AuditPermissionKernelTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData { public uint Effective; public uint Permitted; public uint Inheritable; }

    [DllImport("libc", SetLastError = true)]
    private static extern int capget(ref CapHeader header, [In, Out] CapData[] data);

    [DllImport("libc", SetLastError = true)]
    private static extern int capset(ref CapHeader header, [In] CapData[] data);

    private static void DropEffective(params int[] caps)
    {
        var h = new CapHeader { Version = 0x20080522 }; // _LINUX_CAPABILITY_VERSION_3, pid 0 = this thread
        var d = new CapData[2];
        Assert.Equal(0, capget(ref h, d));
        foreach (int cap in caps) d[cap / 32].Effective &= ~(1u << (cap % 32));
        Assert.Equal(0, capset(ref h, d));
    }

    private static T OnThreadWithout<T>(int[] caps, Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                DropEffective(caps);
                result = body();
            }
            catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        if (error is not null) throw new Xunit.Sdk.XunitException("thread failed: " + error);
        return result;
    }

    [Fact]
    public void Without_CAP_AUDIT_CONTROL_start_fails_with_one_clear_line_and_the_kernel_agrees()
    {
        using var guard = new KernelAuditGuard();
        var (exception, kernelErrno) = OnThreadWithout([AuditPrivileges.CapAuditControl], () =>
        {
            var e = Record.Exception(() => AuditKernelSession.Start());
            using var s = AuditNetlinkSocket.Open();
            var k = Record.Exception(() => s.GetStatus()) as AuditNetlinkException;
            return (e, k?.Errno);
        });
        var p = Assert.IsType<AuditPermissionException>(exception);
        Assert.Equal(["CAP_AUDIT_CONTROL"], p.Missing);
        Assert.DoesNotContain('\n', p.Message);
        Assert.Contains("running as root but without them", p.Message);
        Assert.Equal(1, kernelErrno); // EPERM: the pre-check matches what the kernel enforces
        guard.AssertRestored();
    }

    [Fact]
    public void Multicast_without_CAP_AUDIT_READ_fails_clearly_before_changing_anything()
    {
        using var guard = new KernelAuditGuard();
        var (exception, bindErrno) = OnThreadWithout([AuditPrivileges.CapAuditRead], () =>
        {
            var e = Record.Exception(() => AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Multicast }));
            var b = Record.Exception(() => AuditNetlinkSocket.Open(joinReadLog: true).Dispose()) as AuditNetlinkException;
            return (e, b?.Errno);
        });
        var p = Assert.IsType<AuditPermissionException>(exception);
        Assert.Equal(["CAP_AUDIT_READ"], p.Missing);
        Assert.Equal(1, bindErrno); // EPERM from bind to AUDIT_NLGRP_READLOG
        guard.AssertRestored();
    }
}
