using System.Collections.Concurrent;
using System.Diagnostics;
using Godo.Agent.Netlink;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Netlink;

[Collection(KernelAuditCollection.Name)]
public class UnicastEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Exec_of_a_child_arrives_as_syscall_execve_and_eoe_and_dispose_restores_everything()
    {
        using var guard = new KernelAuditGuard();
        var collector = new RecordCollector();
        var log = new ConcurrentQueue<string>();
        var session = AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Unicast, Log = log.Enqueue });
        NetlinkAuditReceiver? receiver = null;
        try
        {
            Assert.Equal(AuditMode.Unicast, session.Mode);
            var live = AuditctlStatus.Read();
            Assert.Equal((uint)Environment.ProcessId, live.Pid);
            Assert.Equal(1u, live.Enabled);
            Assert.Equal(8192u, live.BacklogLimit);
            Assert.Equal(0u, live.BacklogWaitTime);
            Assert.Equal(session.Rules.Count, AuditctlStatus.RulesWithKey("godo").Length);

            receiver = session.CreateReceiver(collector.Sink);
            receiver.Start();

            var marker = "godo-marker-" + Guid.NewGuid().ToString("N");
            var (exit, _, _) = Proc.Run("/bin/true", marker);
            Assert.Equal(0, exit);

            var ev = collector.WaitForExecEvent(marker, Wait);
            var syscall = Assert.Single(ev, r => r.Type == 1300);
            Assert.Contains("arch=c000003e syscall=59 success=yes", syscall.Text);
            Assert.Contains("key=\"godo\"", syscall.Text);
            Assert.Contains(ev, r => r.Type == 1309 && r.Text.Contains($"a1=\"{marker}\""));
            Assert.Contains(ev, r => r.Type == 1320);
            Assert.True(receiver.Messages >= ev.Count);
            Assert.True(receiver.Bytes > 0);
            Assert.Equal(0, receiver.SinkErrors);

            // The self-exclusion rule: our own process (the test host) never shows up as pid= in a record of godo's
            // rules. (With audit already enabled, the kernel logs the SYSCALL of each configuration change we make,
            // key=(null), whatever the rules: that is not a rule match.)
            string self = $" pid={Environment.ProcessId} ";
            Assert.DoesNotContain(collector.Records, r => r.Type == 1300 && r.Text.Contains(self) && r.Text.Contains("key=\"godo\""));
        }
        finally
        {
            receiver?.Stop();
            session.Dispose();
        }
        Assert.False(receiver!.IsRunning);
        Assert.Empty(session.DisposeErrors);
        session.Dispose(); // idempotent
        guard.AssertRestored();
    }

    /// <summary>
    /// Backpressure: with a stalled reader the kernel backlog fills; backlog_wait_time=0 must keep the audited
    /// processes running (no stall) and the status poll must report the kernel's `lost` rising.
    /// </summary>
    [Fact]
    public void A_stalled_reader_does_not_stall_the_host_and_kernel_loss_is_reported()
    {
        using var guard = new KernelAuditGuard();
        var release = new ManualResetEventSlim(false);
        var losses = new ConcurrentQueue<AuditLossEvent>();
        using var session = AuditKernelSession.Start(new AuditSessionOptions
        {
            Mode = AuditMode.Unicast,
            BacklogLimit = 64,
            ReceiveBufferBytes = 64 * 1024,
        });
        var receiver = session.CreateReceiver((_, _) => release.Wait(), new NetlinkAuditReceiverOptions { StatusPollInterval = TimeSpan.FromMilliseconds(100) });
        receiver.LossDetected += losses.Enqueue;
        receiver.Start();
        try
        {
            var sw = Stopwatch.StartNew();
            var (exit, _, err) = Proc.Run("/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do /bin/true; i=$((i+1)); done");
            sw.Stop();
            Assert.Equal(0, exit);
            // 400 audited fork+exec+exit while nobody reads: with the kernel default wait (60 s) this would hang for at
            // least one wait. Far below that, not a tight bound: on a loaded 2-core CI machine the loop alone took 18 s.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(50), $"audited processes stalled: {sw.Elapsed}");

            var deadline = Stopwatch.StartNew();
            while (losses.IsEmpty && deadline.Elapsed < Wait) Thread.Sleep(50);
            var loss = Assert.Single(losses.Take(1));
            Assert.Equal(AuditLossKind.KernelLost, loss.Kind);
            Assert.True(loss.Count > 0);
            Assert.True(receiver.KernelLost > 0);
            Assert.True(receiver.StatusPolls > 0);
        }
        finally
        {
            release.Set();
            receiver.Stop();
        }
        session.Dispose();
        Assert.Empty(session.DisposeErrors);
        guard.AssertRestored();

        if (guard.Found.Lost == 0)
        {
            // Put the global counter back; ResetLost reports the count through the ack.
            using var s = AuditNetlinkSocket.Open();
            uint lost = AuditctlStatus.Read().Lost;
            Assert.True(lost > 0);
            Assert.Equal(lost, s.ResetLost());
            Assert.Equal(0u, AuditctlStatus.Read().Lost);
        }
    }
}
