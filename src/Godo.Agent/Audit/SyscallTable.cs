namespace Godo.Agent.Audit;

/// <summary>What a syscall means for the process tree.</summary>
public enum SyscallKind
{
    Other = 0,
    Fork,
    Vfork,
    Clone,
    Clone3,
    Execve,
    Execveat,
    Exit,
    ExitGroup,
    Kill,
    Tkill,
    Tgkill,
    /// <summary>wait4, and i386's waitpid: the return value is the pid of the child whose state changed.</summary>
    Wait4,
    /// <summary>waitid(idtype, id, infop, options): returns 0; only P_PID names the child (in a1).</summary>
    Waitid,
}

/// <summary>Syscall numbers of the two ABIs a Docker host on x86 runs (audit arch values from linux/audit.h).</summary>
public static class SyscallTable
{
    public const uint ArchX86_64 = 0xc000003e;
    public const uint ArchI386 = 0x40000003;

    public static SyscallKind Classify(uint arch, int nr) => arch switch
    {
        ArchX86_64 => nr switch
        {
            56 => SyscallKind.Clone, 57 => SyscallKind.Fork, 58 => SyscallKind.Vfork, 59 => SyscallKind.Execve,
            60 => SyscallKind.Exit, 61 => SyscallKind.Wait4, 62 => SyscallKind.Kill, 200 => SyscallKind.Tkill,
            231 => SyscallKind.ExitGroup, 234 => SyscallKind.Tgkill, 247 => SyscallKind.Waitid, 322 => SyscallKind.Execveat,
            435 => SyscallKind.Clone3,
            _ => SyscallKind.Other,
        },
        ArchI386 => nr switch
        {
            120 => SyscallKind.Clone, 2 => SyscallKind.Fork, 190 => SyscallKind.Vfork, 11 => SyscallKind.Execve,
            1 => SyscallKind.Exit, 7 => SyscallKind.Wait4, 37 => SyscallKind.Kill, 114 => SyscallKind.Wait4,
            238 => SyscallKind.Tkill, 252 => SyscallKind.ExitGroup, 270 => SyscallKind.Tgkill, 284 => SyscallKind.Waitid,
            358 => SyscallKind.Execveat, 435 => SyscallKind.Clone3,
            _ => SyscallKind.Other,
        },
        _ => SyscallKind.Other,
    };

    /// <summary>Test seam: the tree tells these cases apart itself; tests check the classification through it.</summary>
    public static bool IsProcessCreation(SyscallKind k) => k is SyscallKind.Fork or SyscallKind.Vfork or SyscallKind.Clone or SyscallKind.Clone3;

    public static bool IsExec(SyscallKind k) => k is SyscallKind.Execve or SyscallKind.Execveat;

    /// <summary>Test seam, as <see cref="IsProcessCreation"/>.</summary>
    public static bool IsSignal(SyscallKind k) => k is SyscallKind.Kill or SyscallKind.Tkill or SyscallKind.Tgkill;

    /// <summary>
    /// A wait: its record carries the time the call was entered, which for a blocking wait is before the death it
    /// reports; only its place in the log says when it returned.
    /// </summary>
    public static bool IsWait(SyscallKind k) => k is SyscallKind.Wait4 or SyscallKind.Waitid;
}

/// <summary>Options of wait4/waitid (linux/wait.h) that decide whether a returned pid is a death.</summary>
public static class WaitOptions
{
    public const ulong NoHang = 0x1;
    /// <summary>WUNTRACED for wait4, WSTOPPED for waitid: a stopped child is reported too.</summary>
    public const ulong Untraced = 0x2;
    public const ulong Exited = 0x4;
    public const ulong Continued = 0x8;
    public const ulong NoWait = 0x01000000;
    /// <summary>__WALL: what ptrace users pass; a tracee's every stop is reported, not only its death.</summary>
    public const ulong All = 0x40000000;

    /// <summary>waitid's idtype for one pid.</summary>
    public const ulong PPid = 1;
}

/// <summary>clone(2) flags that decide what the new task is (linux/sched.h).</summary>
public static class CloneFlags
{
    public const ulong Vm = 0x100;
    public const ulong Vfork = 0x4000;
    public const ulong Parent = 0x8000;
    public const ulong Thread = 0x10000;
    public const ulong NewPid = 0x20000000;
}
