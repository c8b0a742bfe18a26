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
            60 => SyscallKind.Exit, 62 => SyscallKind.Kill, 200 => SyscallKind.Tkill, 231 => SyscallKind.ExitGroup,
            234 => SyscallKind.Tgkill, 322 => SyscallKind.Execveat, 435 => SyscallKind.Clone3,
            _ => SyscallKind.Other,
        },
        ArchI386 => nr switch
        {
            120 => SyscallKind.Clone, 2 => SyscallKind.Fork, 190 => SyscallKind.Vfork, 11 => SyscallKind.Execve,
            1 => SyscallKind.Exit, 37 => SyscallKind.Kill, 238 => SyscallKind.Tkill, 252 => SyscallKind.ExitGroup,
            270 => SyscallKind.Tgkill, 358 => SyscallKind.Execveat, 435 => SyscallKind.Clone3,
            _ => SyscallKind.Other,
        },
        _ => SyscallKind.Other,
    };

    /// <summary>Test seam: the tree tells these cases apart itself; tests check the classification through it.</summary>
    public static bool IsProcessCreation(SyscallKind k) => k is SyscallKind.Fork or SyscallKind.Vfork or SyscallKind.Clone or SyscallKind.Clone3;

    public static bool IsExec(SyscallKind k) => k is SyscallKind.Execve or SyscallKind.Execveat;

    /// <summary>Test seam, as <see cref="IsProcessCreation"/>.</summary>
    public static bool IsSignal(SyscallKind k) => k is SyscallKind.Kill or SyscallKind.Tkill or SyscallKind.Tgkill;
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
