using System.Runtime.InteropServices;

namespace Godo.Agent.Netlink;

/// <summary>One rule of godo's set; optional rules may be refused by the kernel without failing the install.</summary>
public sealed record GodoAuditRule(AuditRule Rule, string Purpose, bool Optional = false);

/// <summary>
/// The agent's audit rules, every one tagged with key <see cref="Key"/> so they can be found and removed later,
/// including after the agent was killed with SIGKILL and could not clean up (the kernel keeps rules until deleted).
/// </summary>
public sealed class GodoAuditRules
{
    public const string Key = "godo";
    public const uint SigKill = 9;

    // x86_64 syscall numbers.
    private const int B64Clone = 56, B64Fork = 57, B64Vfork = 58, B64Execve = 59, B64Wait4 = 61, B64Kill = 62, B64Tkill = 200,
        B64ExitGroup = 231, B64Tgkill = 234, B64Waitid = 247, B64Execveat = 322, Clone3 = 435;

    // i386 numbers (32-bit programs on an x86_64 kernel audit under arch b32).
    private const int B32Fork = 2, B32Waitpid = 7, B32Execve = 11, B32Kill = 37, B32Wait4 = 114, B32Clone = 120, B32Vfork = 190,
        B32Tkill = 238, B32ExitGroup = 252, B32Tgkill = 270, B32Waitid = 284, B32Execveat = 358;

    /// <summary>waitid's idtype for one pid (a0); P_ALL (0) never says which child, P_PIDFD (3) names a file descriptor.</summary>
    public const uint PPid = 1;

    private readonly AuditNetlinkSocket _control;
    private readonly IReadOnlyList<GodoAuditRule> _rules;
    private readonly List<AuditRule> _installed = new();
    private readonly Action<string>? _log;

    public GodoAuditRules(AuditNetlinkSocket control, uint selfPid, Action<string>? log = null)
    {
        _control = control;
        _log = log;
        _rules = Build(selfPid);
    }

    /// <summary>Rules this instance added and has not removed.</summary>
    public IReadOnlyList<AuditRule> Installed => _installed;

    /// <summary>
    /// The rule set, in install order. First the self exclusion: the agent's own syscalls would otherwise be
    /// audited and read back by the agent (a feedback loop, fact 13). It is prepended so it also wins over rules
    /// loaded earlier by someone else, and it carries key godo so a crashed agent's copy (with a dead pid) can be
    /// found and deleted. Then process lifecycle: fork/vfork/clone/clone3, execve/execveat, exit_group, and
    /// SIGKILL via kill/tkill (a1) and tgkill (a2), since a SIGKILLed process never reaches exit_group. Last the
    /// reaps, the only trace of a death by any other signal a log can hold: wait4 (and i386 waitpid) returning a
    /// pid, and waitid(P_PID, pid) whose pid is in a1. Both also need success: the kernel compares exit as an
    /// unsigned 32-bit value, so -ECHILD (which shells get on every WNOHANG poll) would pass exit&gt;0.
    /// </summary>
    public static IReadOnlyList<GodoAuditRule> Build(uint selfPid)
    {
        if (RuntimeInformation.OSArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException($"godo's audit rules use x86_64/i386 syscall numbers; this is {RuntimeInformation.OSArchitecture}");

        static AuditRuleBuilder Always(AuditArch arch) => AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(arch);

        return
        [
            new(AuditRuleBuilder.Exit(AuditRuleAction.Never).Prepend().AllSyscalls().Pid(selfPid).Key(Key).Build(),
                "self exclusion (no feedback loop)"),

            new(Always(AuditArch.X86_64).Syscalls(B64Fork, B64Vfork, B64Clone, Clone3, B64Execve, B64Execveat, B64ExitGroup).Key(Key).Build(),
                "b64 process lifecycle"),
            new(Always(AuditArch.X86_64).Syscalls(B64Kill, B64Tkill).Argument(1, SigKill).Key(Key).Build(),
                "b64 kill/tkill SIGKILL"),
            new(Always(AuditArch.X86_64).Syscalls(B64Tgkill).Argument(2, SigKill).Key(Key).Build(),
                "b64 tgkill SIGKILL"),
            new(Always(AuditArch.X86_64).Syscalls(B64Wait4).Succeeded().Field(AuditFieldIds.Exit, AuditOperator.GreaterThan, 0).Key(Key).Build(),
                "b64 wait4 reaps"),
            new(Always(AuditArch.X86_64).Syscalls(B64Waitid).Argument(0, PPid).Succeeded().Key(Key).Build(),
                "b64 waitid P_PID"),

            new(Always(AuditArch.I386).Syscalls(B32Fork, B32Vfork, B32Clone, B32Execve, B32Execveat, B32ExitGroup).Key(Key).Build(),
                "b32 process lifecycle"),
            // Separate so a kernel without clone3 for compat tasks can refuse it alone.
            new(Always(AuditArch.I386).Syscalls(Clone3).Key(Key).Build(),
                "b32 clone3", Optional: true),
            new(Always(AuditArch.I386).Syscalls(B32Kill, B32Tkill).Argument(1, SigKill).Key(Key).Build(),
                "b32 kill/tkill SIGKILL"),
            new(Always(AuditArch.I386).Syscalls(B32Tgkill).Argument(2, SigKill).Key(Key).Build(),
                "b32 tgkill SIGKILL"),
            new(Always(AuditArch.I386).Syscalls(B32Waitpid, B32Wait4).Succeeded().Field(AuditFieldIds.Exit, AuditOperator.GreaterThan, 0).Key(Key).Build(),
                "b32 wait4/waitpid reaps"),
            new(Always(AuditArch.I386).Syscalls(B32Waitid).Argument(0, PPid).Succeeded().Key(Key).Build(),
                "b32 waitid P_PID"),
        ];
    }

    /// <summary>
    /// Adds the rule set in order. Optional rules the kernel refuses are skipped (logged); any other failure removes
    /// what was added and rethrows. Does not remove stale rules first: call <see cref="RemoveAll"/> before.
    /// </summary>
    public IReadOnlyList<AuditRule> Install()
    {
        foreach (var r in _rules)
        {
            try
            {
                _control.AddRule(r.Rule);
                _installed.Add(r.Rule);
            }
            catch (AuditNetlinkException e) when (r.Optional && e.Errno != LibC.EPERM)
            {
                _log?.Invoke($"audit rule '{r.Purpose}' refused by the kernel, continuing without it: {e.Message}");
            }
            catch
            {
                try { RemoveAll(); } catch (Exception cleanup) { _log?.Invoke($"cleanup after a failed install failed: {cleanup.Message}"); }
                throw;
            }
        }
        return _installed;
    }

    /// <summary>Rules currently loaded in the kernel that carry key godo (ours and leftovers of earlier agents).</summary>
    public IReadOnlyList<AuditRule> ListLoaded() => ListLoaded(_control);

    public static IReadOnlyList<AuditRule> ListLoaded(AuditNetlinkSocket control) =>
        control.ListRules().Where(r => r.HasKey(Key)).ToArray();

    /// <summary>Deletes every loaded rule with key godo, whoever added it; returns how many were deleted.</summary>
    public int RemoveAll()
    {
        int removed = RemoveAll(_control, _log);
        _installed.Clear();
        return removed;
    }

    public static int RemoveAll(AuditNetlinkSocket control, Action<string>? log = null)
    {
        int removed = 0;
        foreach (var rule in ListLoaded(control))
        {
            try
            {
                // The kernel deletes by full comparison; a listed rule re-encodes to exactly what it compares against.
                control.DeleteRule(rule);
                removed++;
            }
            catch (AuditNetlinkException e) when (e.Errno == LibC.ENOENT)
            {
                log?.Invoke($"audit rule already gone: {rule}"); // someone else removed it between list and delete
            }
        }
        return removed;
    }
}
