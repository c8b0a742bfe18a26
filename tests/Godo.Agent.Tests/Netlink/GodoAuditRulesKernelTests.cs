using System.Diagnostics;
using Godo.Agent.Netlink;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Netlink;

[Collection(KernelAuditCollection.Name)]
public class GodoAuditRulesKernelTests
{
    private static readonly uint Self = (uint)Environment.ProcessId;

    [Fact]
    public void Install_shows_in_auditctl_with_key_godo_and_RemoveAll_leaves_none()
    {
        using var guard = new KernelAuditGuard();
        using var socket = AuditNetlinkSocket.Open();
        var rules = new GodoAuditRules(socket, Self);
        try
        {
            var installed = rules.Install();
            var lines = AuditctlStatus.RulesWithKey("godo");
            Assert.Equal(installed.Count, lines.Length);
            Assert.Equal(12, installed.Count);

            // Self exclusion is prepended: first of all rules on the exit list.
            var all = Proc.Auditctl("-l").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"-a never,exit -S all -F pid={Self} -F key=godo", all[0]);
            Assert.Contains("-a always,exit -F arch=b64 -S clone,fork,vfork,execve,exit_group,execveat,clone3 -F key=godo", lines);
            Assert.Contains("-a always,exit -F arch=b64 -S kill,tkill -F a1=0x9 -F key=godo", lines);
            Assert.Contains("-a always,exit -F arch=b64 -S tgkill -F a2=0x9 -F key=godo", lines);
            Assert.Contains("-a always,exit -F arch=b32 -S fork,execve,clone,vfork,exit_group,execveat -F key=godo", lines);
            // Reaps: the kernel takes exit with the > operator and a0 of waitid (P_PID).
            Assert.Contains("-a always,exit -F arch=b64 -S wait4 -F success=1 -F exit>0 -F key=godo", lines);
            Assert.Contains("-a always,exit -F arch=b64 -S waitid -F a0=0x1 -F success=1 -F key=godo", lines);
            Assert.Contains("-a always,exit -F arch=b32 -S waitpid,wait4 -F success=1 -F exit>0 -F key=godo", lines);
            Assert.Contains("-a always,exit -F arch=b32 -S waitid -F a0=0x1 -F success=1 -F key=godo", lines);

            Assert.Contains("-a always,exit -F arch=b32 -S clone3 -F key=godo", lines); // this kernel accepts it

            // Our list parser sees the same rules. Compare text: the kernel folds the syscall-class bits of "-S all"
            // and clears the prepend flag once the rule is placed, so listed bytes differ from what was added.
            var listed = rules.ListLoaded();
            Assert.Equal(installed.Select(r => r.ToString().Replace("-A ", "-a ")).Order(), listed.Select(r => r.ToString()).Order());
            Assert.DoesNotContain(listed, r => r.Prepend);
            Assert.True(listed.Single(r => r.Action == AuditRuleAction.Never).AllSyscalls);
        }
        finally
        {
            Assert.Equal(rules.Installed.Count, rules.RemoveAll());
        }
        Assert.Empty(AuditctlStatus.RulesWithKey("godo"));
        Assert.Empty(rules.ListLoaded());
        guard.AssertRestored();
    }

    [Fact]
    public void RemoveAll_leaves_foreign_rules_alone()
    {
        using var guard = new KernelAuditGuard();
        using var socket = AuditNetlinkSocket.Open();
        var foreign = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(62).Argument(1, 15).Key(KernelAuditGuard.TestKey).Build();
        socket.AddRule(foreign);
        try
        {
            var rules = new GodoAuditRules(socket, Self);
            rules.Install();
            rules.RemoveAll();
            Assert.Single(AuditctlStatus.RulesWithKey(KernelAuditGuard.TestKey));
            Assert.Empty(AuditctlStatus.RulesWithKey("godo"));
        }
        finally
        {
            socket.DeleteRule(foreign);
        }
        Assert.Empty(AuditctlStatus.RulesWithKey(KernelAuditGuard.TestKey));
    }

    [Fact]
    public void Leftovers_of_an_undisposed_session_are_removed_by_the_next_and_the_original_state_restored()
    {
        using var guard = new KernelAuditGuard();
        var stateFile = Path.Combine(Path.GetTempPath(), $"godo-audit-{Guid.NewGuid():N}.json");
        try
        {
            var first = AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Unicast, StateFilePath = stateFile });
            int installed = first.Rules.Count;
            Assert.Equal(installed, AuditctlStatus.RulesWithKey("godo").Length);
            // "Crash": only the audit pid goes away; rules, enabled and backlog stay as the first session set them.
            first.EventSocket.SetPid(0);
            Assert.Equal(0u, AuditctlStatus.Read().Pid);
            first.AbandonWithoutRestore();

            using (var second = AuditKernelSession.Start(new AuditSessionOptions { Mode = AuditMode.Unicast, StateFilePath = stateFile }))
            {
                Assert.Equal(installed, second.StaleRulesRemoved);
                Assert.Equal(second.Rules.Count, AuditctlStatus.RulesWithKey("godo").Length);
                // The first session's changes are not what the second must restore: the state file says what was found.
                Assert.Equal(guard.Found.Enabled, second.RestoreTo.Enabled);
                Assert.Equal(guard.Found.BacklogLimit, second.RestoreTo.BacklogLimit);
            }
            guard.AssertRestored();
            Assert.False(File.Exists(stateFile));
        }
        finally
        {
            File.Delete(stateFile);
        }
    }

    /// <summary>
    /// A real SIGKILL: a python child registers as the audit daemon and adds a godo-keyed rule, then is killed.
    /// The registered pid is now dead; a new session must still become the daemon and delete the rule.
    /// </summary>
    [Fact]
    public void A_sigkilled_daemon_leaves_a_dead_pid_and_rules_that_a_new_session_cleans_up()
    {
        using var guard = new KernelAuditGuard();
        var leftover = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(62).Argument(1, 15).Key("godo").Build();
        const string script = """
            import os, socket, struct, sys, time
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
            s.bind((0, 0))
            def req(t, p):
                s.send(struct.pack('=IHHII', 16 + len(p), t, 5, 1, 0) + p + b'\0' * ((4 - len(p) % 4) % 4))
                while True:
                    r = s.recv(65536)
                    if struct.unpack('=H', r[4:6])[0] == 2:
                        err = struct.unpack('=i', r[16:20])[0]
                        if err: sys.exit('error %d' % err)
                        return
            req(1001, struct.pack('=11I', 4, 0, 0, os.getpid(), 0, 0, 0, 0, 0, 0, 0))
            req(1011, bytes.fromhex(sys.argv[1]))
            print('ready', flush=True)
            time.sleep(120)
            """;
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(Convert.ToHexString(leftover.ToBytes()));
        using var child = Process.Start(psi)!;
        try
        {
            Assert.Equal("ready", child.StandardOutput.ReadLine());
            Assert.Equal((uint)child.Id, AuditctlStatus.Read().Pid);
        }
        finally
        {
            child.Kill(); // SIGKILL
            child.WaitForExit();
        }

        using (var session = AuditKernelSession.Start(new AuditSessionOptions()))
        {
            Assert.Equal((uint)child.Id, session.Found.Pid);
            Assert.Equal(AuditMode.Unicast, session.Mode); // dead registered pid does not force multicast
            Assert.Equal(1, session.StaleRulesRemoved);
            Assert.Equal(Self, AuditctlStatus.Read().Pid);
        }
        guard.AssertRestored();
    }
}
