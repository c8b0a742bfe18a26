using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Audit;

public sealed class SyscallTableTests
{
    [Theory]
    [InlineData(56, SyscallKind.Clone)]
    [InlineData(57, SyscallKind.Fork)]
    [InlineData(58, SyscallKind.Vfork)]
    [InlineData(59, SyscallKind.Execve)]
    [InlineData(60, SyscallKind.Exit)]
    [InlineData(62, SyscallKind.Kill)]
    [InlineData(200, SyscallKind.Tkill)]
    [InlineData(231, SyscallKind.ExitGroup)]
    [InlineData(234, SyscallKind.Tgkill)]
    [InlineData(322, SyscallKind.Execveat)]
    [InlineData(435, SyscallKind.Clone3)]
    [InlineData(61, SyscallKind.Wait4)]
    [InlineData(247, SyscallKind.Waitid)]
    [InlineData(7, SyscallKind.Other)]   // poll on x86_64, waitpid on i386
    [InlineData(0, SyscallKind.Other)]
    [InlineData(1, SyscallKind.Other)]   // write on x86_64, exit on i386
    [InlineData(2, SyscallKind.Other)]   // open on x86_64, fork on i386
    [InlineData(11, SyscallKind.Other)]  // munmap on x86_64, execve on i386
    [InlineData(120, SyscallKind.Other)] // getpgid on x86_64, clone on i386
    public void X86_64_table(int nr, SyscallKind kind) => Assert.Equal(kind, SyscallTable.Classify(SyscallTable.ArchX86_64, nr));

    [Theory]
    [InlineData(120, SyscallKind.Clone)]
    [InlineData(2, SyscallKind.Fork)]
    [InlineData(190, SyscallKind.Vfork)]
    [InlineData(11, SyscallKind.Execve)]
    [InlineData(1, SyscallKind.Exit)]
    [InlineData(37, SyscallKind.Kill)]
    [InlineData(238, SyscallKind.Tkill)]
    [InlineData(252, SyscallKind.ExitGroup)]
    [InlineData(270, SyscallKind.Tgkill)]
    [InlineData(358, SyscallKind.Execveat)]
    [InlineData(435, SyscallKind.Clone3)]
    [InlineData(7, SyscallKind.Wait4)]    // waitpid: same return value and options (a2) as wait4
    [InlineData(114, SyscallKind.Wait4)]
    [InlineData(284, SyscallKind.Waitid)]
    [InlineData(61, SyscallKind.Other)]  // wait4 on x86_64 only
    [InlineData(56, SyscallKind.Other)]  // clone on x86_64 only
    [InlineData(59, SyscallKind.Other)]  // execve on x86_64 only
    [InlineData(231, SyscallKind.Other)] // exit_group on x86_64 only
    public void I386_table(int nr, SyscallKind kind) => Assert.Equal(kind, SyscallTable.Classify(SyscallTable.ArchI386, nr));

    [Fact]
    public void Arch_values_are_the_audit_constants()
    {
        Assert.Equal(0xc000003eu, SyscallTable.ArchX86_64);
        Assert.Equal(0x40000003u, SyscallTable.ArchI386);
    }

    [Theory]
    [InlineData(0xc00000b7u, 220)] // aarch64 clone
    [InlineData(0xc00000b7u, 221)] // aarch64 execve
    [InlineData(0u, 59)]
    public void Unknown_arch_is_never_classified(uint arch, int nr) => Assert.Equal(SyscallKind.Other, SyscallTable.Classify(arch, nr));

    [Fact]
    public void Predicates_group_the_kinds()
    {
        Assert.All(new[] { SyscallKind.Fork, SyscallKind.Vfork, SyscallKind.Clone, SyscallKind.Clone3 }, k => Assert.True(SyscallTable.IsProcessCreation(k)));
        Assert.All(new[] { SyscallKind.Execve, SyscallKind.Execveat }, k => Assert.True(SyscallTable.IsExec(k)));
        Assert.All(new[] { SyscallKind.Kill, SyscallKind.Tkill, SyscallKind.Tgkill }, k => Assert.True(SyscallTable.IsSignal(k)));
        Assert.False(SyscallTable.IsProcessCreation(SyscallKind.Execve));
        Assert.False(SyscallTable.IsExec(SyscallKind.Exit));
        Assert.False(SyscallTable.IsSignal(SyscallKind.ExitGroup));
    }

    [Fact]
    public void Clone_flag_values_match_sched_h()
    {
        Assert.Equal(0x100UL, CloneFlags.Vm);
        Assert.Equal(0x4000UL, CloneFlags.Vfork);
        Assert.Equal(0x8000UL, CloneFlags.Parent);
        Assert.Equal(0x10000UL, CloneFlags.Thread);
        Assert.Equal(0x20000000UL, CloneFlags.NewPid);
    }
}
