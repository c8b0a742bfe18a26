using Godo.Agent.Netlink;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Netlink;

[Collection(KernelAuditCollection.Name)]
public class AuditStatusKernelTests
{
    [Fact]
    public void Get_status_matches_auditctl()
    {
        using var guard = new KernelAuditGuard();
        using var socket = AuditNetlinkSocket.Open();
        var s = socket.GetStatus();
        var a = AuditctlStatus.Read();

        Assert.True(s.Length >= AuditStatus.MinimumSize);
        Assert.InRange(s.Enabled, 0u, 2u);
        Assert.InRange(s.Failure, 0u, 2u);
        Assert.Equal(a.Enabled, s.Enabled);
        Assert.Equal(a.Pid, s.Pid);
        Assert.Equal(a.BacklogLimit, s.BacklogLimit);
        Assert.Equal(a.BacklogWaitTime, s.BacklogWaitTime);
        Assert.Equal(a.Failure, s.Failure);
        Assert.True(s.HasBacklogWaitTime, "kernels since 3.14 report backlog_wait_time");
        Assert.NotEqual(0u, socket.PortId);
    }

    [Fact]
    public void Set_backlog_limit_and_wait_time_then_restore()
    {
        using var guard = new KernelAuditGuard();
        using var socket = AuditNetlinkSocket.Open();
        var before = socket.GetStatus();
        try
        {
            socket.SetBacklogLimit(before.BacklogLimit + 7);
            socket.SetBacklogWaitTime(0); // the session's default: the kernel must accept 0 (never block)
            var a = AuditctlStatus.Read();
            Assert.Equal(before.BacklogLimit + 7, a.BacklogLimit);
            Assert.Equal(0u, a.BacklogWaitTime);
        }
        finally
        {
            socket.SetBacklogLimit(before.BacklogLimit);
            socket.SetBacklogWaitTime(before.BacklogWaitTime);
        }
        var after = socket.GetStatus();
        Assert.Equal(before.BacklogLimit, after.BacklogLimit);
        Assert.Equal(before.BacklogWaitTime, after.BacklogWaitTime);
        guard.AssertRestored();
    }

    [Fact]
    public void Kernel_errors_come_back_as_errno()
    {
        using var guard = new KernelAuditGuard();
        using var socket = AuditNetlinkSocket.Open();
        // The kernel only lets a process register its own tgid.
        var e = Assert.Throws<AuditNetlinkException>(() => socket.SetPid(1));
        Assert.Equal(22, e.Errno); // EINVAL
        // Deleting a rule that does not exist.
        var rule = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(62).Argument(1, 31).Key(KernelAuditGuard.TestKey).Build();
        var del = Assert.Throws<AuditNetlinkException>(() => socket.DeleteRule(rule));
        Assert.Equal(2, del.Errno); // ENOENT
    }
}
