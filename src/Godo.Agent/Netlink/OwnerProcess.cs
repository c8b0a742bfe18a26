using Godo.Agent.Proc;

namespace Godo.Agent.Netlink;

/// <summary>What became of the agent a state file names.</summary>
public enum OwnerFate
{
    /// <summary>Still running: another agent holds the kernel's audit state.</summary>
    Alive,
    /// <summary>No process has its pid.</summary>
    Gone,
    /// <summary>Dead but not reaped yet (a `kill -9` whose parent has not waited): it will never restore anything.</summary>
    Zombie,
    /// <summary>Its pid now belongs to another process (another start time or executable).</summary>
    PidReused,
}

/// <summary>
/// A process as /proc shows it: pid, state, start time (field 22 of <c>stat</c>, clock ticks since boot) and executable.
/// A pid alone names a different process after reuse; pid and start time together name one process for the life of
/// the boot.
/// </summary>
public sealed record OwnerProcess(int Pid, char State, ulong StartTicks, string? Exe)
{
    /// <summary>The process with <paramref name="pid"/> now, or null when there is none.</summary>
    public static OwnerProcess? Read(int pid)
    {
        byte[] stat;
        try { stat = File.ReadAllBytes($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (!ProcParsers.TryParseStat(stat, out var parsed)) return null;
        string? exe;
        try { exe = File.ResolveLinkTarget($"/proc/{pid}/exe", returnFinalTarget: false)?.FullName; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { exe = null; } // a zombie has none
        return new OwnerProcess(pid, parsed.State, parsed.StartTicks, exe);
    }

    /// <summary>
    /// Pure, for tests: <paramref name="now"/> is what holds <paramref name="pid"/> today. An executable replaced by an
    /// upgrade reads "PATH (deleted)" in /proc and still counts as the same; an unreadable one is not compared.
    /// </summary>
    public static OwnerFate Judge(int pid, ulong? startTicks, string? exe, OwnerProcess? now)
    {
        if (now is null) return OwnerFate.Gone;
        if (now.State is 'Z' or 'X') return OwnerFate.Zombie;
        if (startTicks is { } ticks && ticks != now.StartTicks) return OwnerFate.PidReused;
        if (exe is not null && now.Exe is not null && TrimDeleted(exe) != TrimDeleted(now.Exe)) return OwnerFate.PidReused;
        return OwnerFate.Alive;
    }

    private static string TrimDeleted(string exe) => exe.EndsWith(" (deleted)", StringComparison.Ordinal) ? exe[..^" (deleted)".Length] : exe;
}
