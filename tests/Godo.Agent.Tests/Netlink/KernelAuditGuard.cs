using System.Diagnostics;
using System.Text.RegularExpressions;
using Godo.Agent.Netlink;

namespace Godo.Agent.Tests.Netlink;

/// <summary>Runs a program to completion and returns its exit code and output.</summary>
internal static class Proc
{
    public static (int Exit, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 30 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Auditctl(params string[] args)
    {
        var (exit, output, err) = Run("auditctl", args);
        if (exit != 0) throw new InvalidOperationException($"auditctl {string.Join(' ', args)} failed ({exit}): {err}");
        return output;
    }
}

/// <summary>
/// Kernel audit state as `auditctl -s` shows it: read with a tool independent of the code under test, so the
/// guard still restores correctly when that code is wrong.
/// </summary>
internal sealed record AuditctlStatus(uint Enabled, uint Pid, uint BacklogLimit, uint BacklogWaitTime, uint Lost, uint Failure)
{
    public static AuditctlStatus Read()
    {
        var values = new Dictionary<string, string>();
        foreach (var line in Proc.Auditctl("-s").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length >= 2) values[parts[0]] = parts[1];
        }
        uint U(string k) => uint.Parse(values[k]);
        return new AuditctlStatus(U("enabled"), U("pid"), U("backlog_limit"), U("backlog_wait_time"), U("lost"), U("failure"));
    }

    /// <summary>`auditctl -l` lines that carry key godo (or a test key).</summary>
    public static string[] RulesWithKey(string key) =>
        Proc.Auditctl("-l").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => Regex.IsMatch(l, $@"(-F key=|-k ){Regex.Escape(key)}(\s|$)"))
            .ToArray();
}

/// <summary>
/// Safety net for every test that touches kernel audit: snapshots the state at construction and on Dispose puts
/// back enabled, backlog_limit, backlog_wait_time, deletes godo (and test-key) rules, and releases the audit pid
/// if this test process still holds it. Tests assert the session restored things itself before this runs.
/// </summary>
internal sealed class KernelAuditGuard : IDisposable
{
    public const string TestKey = "godo-test";

    public KernelAuditGuard()
    {
        Found = AuditctlStatus.Read();
        Assert.True(Found.Enabled != 2, "audit config is locked (enabled=2); kernel audit tests cannot run");
    }

    public AuditctlStatus Found { get; }

    /// <summary>Asserts what a disposed session must leave behind: the found state and no godo rules.</summary>
    public void AssertRestored()
    {
        var now = AuditctlStatus.Read();
        Assert.Equal(Found.Pid, now.Pid);
        Assert.Equal(Found.Enabled, now.Enabled);
        Assert.Equal(Found.BacklogLimit, now.BacklogLimit);
        Assert.Equal(Found.BacklogWaitTime, now.BacklogWaitTime);
        Assert.Empty(AuditctlStatus.RulesWithKey(GodoAuditRules.Key));
    }

    public void Dispose()
    {
        foreach (var key in new[] { GodoAuditRules.Key, TestKey })
        {
            if (AuditctlStatus.RulesWithKey(key).Length > 0) Proc.Run("auditctl", "-D", "-k", key);
        }
        var now = AuditctlStatus.Read();
        // Our own registration, or one left by a daemon that died (e.g. a SIGKILLed auditd): the kernel lets any
        // process release a registration whose socket is gone.
        if (now.Pid != Found.Pid && (now.Pid == (uint)Environment.ProcessId || !Directory.Exists($"/proc/{now.Pid}")))
        {
            using var s = AuditNetlinkSocket.Open();
            s.SetPid(0);
        }
        if (now.BacklogLimit != Found.BacklogLimit) Proc.Auditctl("-b", Found.BacklogLimit.ToString());
        if (now.BacklogWaitTime != Found.BacklogWaitTime) Proc.Auditctl("--backlog_wait_time", Found.BacklogWaitTime.ToString());
        if (now.Enabled != Found.Enabled) Proc.Auditctl("-e", Found.Enabled.ToString());
        // Loss tests raise the global lost counter; zero is the one value that can be put back exactly.
        if (Found.Lost == 0 && AuditctlStatus.Read().Lost != 0) Proc.Auditctl("--reset-lost");
    }
}
