using System.Collections.Concurrent;
using System.Diagnostics;
using Godo.Agent.Netlink;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Netlink;

[Collection(KernelAuditCollection.Name)]
public class MulticastTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Multicast_without_a_daemon_reads_records_and_does_not_take_the_audit_pid()
    {
        using var guard = new KernelAuditGuard();
        var collector = new RecordCollector();
        using (var session = AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Multicast }))
        {
            Assert.Equal(AuditMode.Multicast, session.Mode);
            Assert.True(session.EventSocket.IsMulticast);
            Assert.Equal(guard.Found.Pid, AuditctlStatus.Read().Pid);
            using var receiver = session.CreateReceiver(collector.Sink);
            receiver.Start();

            var marker = "godo-mc-" + Guid.NewGuid().ToString("N");
            Assert.Equal(0, Proc.Run("/bin/true", marker).Exit);
            var ev = collector.WaitForExecEvent(marker, Wait);
            Assert.Contains(ev, r => r.Type == 1300 && r.Text.Contains("syscall=59"));
            receiver.Stop();
        }
        guard.AssertRestored();
    }

    [Fact]
    public void A_slow_multicast_reader_sees_ENOBUFS_counted_and_reported_not_thrown()
    {
        using var guard = new KernelAuditGuard();
        var release = new ManualResetEventSlim(false);
        var losses = new ConcurrentQueue<AuditLossEvent>();
        using var session = AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Multicast, ReceiveBufferBytes = 16 * 1024 });
        var receiver = session.CreateReceiver((_, _) => release.Wait(), new NetlinkAuditReceiverOptions { StatusPollInterval = TimeSpan.Zero });
        receiver.LossDetected += losses.Enqueue;
        var faults = new ConcurrentQueue<Exception>();
        receiver.Faulted += faults.Enqueue;
        receiver.Start();
        try
        {
            Assert.Equal(0, Proc.Run("/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done").Exit);
        }
        finally
        {
            release.Set();
        }
        var sw = Stopwatch.StartNew();
        while (losses.IsEmpty && sw.Elapsed < Wait) Thread.Sleep(50);
        receiver.Stop();

        Assert.Contains(losses, l => l.Kind == AuditLossKind.SocketOverflow);
        Assert.True(receiver.NoBufferEvents > 0);
        Assert.Equal(receiver.NoBufferEvents, session.EventSocket.NoBufferErrors);
        Assert.Empty(faults);
        session.Dispose();
        guard.AssertRestored();
    }

    /// <summary>
    /// Beside a real auditd: auto mode must pick multicast, both auditd and godo get the records, auditd's own
    /// rules survive godo's start and stop, and auditd stays registered.
    /// </summary>
    [Fact]
    public void Auto_mode_beside_a_running_auditd_uses_multicast_and_leaves_auditd_alone()
    {
        using var guard = new KernelAuditGuard();
        using var auditd = AuditdProcess.Start();
        // Stand-in for auditd's rule set (auditd itself loads none; augenrules would).
        Proc.Auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "kill", "-F", "a1=15", "-k", KernelAuditGuard.TestKey);
        var collector = new RecordCollector();
        var marker = "godo-beside-auditd-" + Guid.NewGuid().ToString("N");
        using (var session = AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Auto }))
        {
            Assert.Equal(AuditMode.Multicast, session.Mode);
            Assert.Equal((uint)auditd.Pid, session.OtherDaemonPid);
            var live = AuditctlStatus.Read();
            Assert.Equal((uint)auditd.Pid, live.Pid);
            Assert.Equal(guard.Found.BacklogLimit, live.BacklogLimit); // auditd's settings, not ours
            using var receiver = session.CreateReceiver(collector.Sink);
            receiver.Start();

            Assert.Equal(0, Proc.Run("/bin/true", marker).Exit);
            collector.WaitForExecEvent(marker, Wait);
            receiver.Stop();
        }

        Assert.True(auditd.WaitForLogLine(marker, Wait), "auditd should still receive records while godo reads multicast");
        Assert.Equal((uint)auditd.Pid, AuditctlStatus.Read().Pid);
        Assert.Single(AuditctlStatus.RulesWithKey(KernelAuditGuard.TestKey));
        Assert.Empty(AuditctlStatus.RulesWithKey(GodoAuditRules.Key));
        Proc.Auditctl("-D", "-k", KernelAuditGuard.TestKey);
        auditd.Stop();
        guard.AssertRestored();
    }

    [Fact]
    public void Unicast_demanded_beside_a_running_auditd_is_refused_and_changes_nothing()
    {
        using var guard = new KernelAuditGuard();
        using var auditd = AuditdProcess.Start();
        var e = Assert.Throws<AuditModeUnavailableException>(() => AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Unicast }));
        Assert.Contains($"pid {auditd.Pid} (auditd)", e.Message);
        Assert.Empty(AuditctlStatus.RulesWithKey(GodoAuditRules.Key));
        Assert.Equal((uint)auditd.Pid, AuditctlStatus.Read().Pid);
        auditd.Stop();
        guard.AssertRestored();
    }
}
