using System.Text;
using Godo.Agent.Proc;

namespace Godo.Agent.Tests.Proc;

public class ProcParsersTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    // A real line from this VM (sleep 1001 as a container's init), fields 1..52.
    private const string SleepStat =
        "6718 (sleep) S 6698 6718 6718 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0 12345 1523712 1 18446744073709551615 4194304 4960389 140727612683888 0 0 0 0 0 0 1 0 0 17 1 0 0 0 0 0 5065488 5103281 10444800 140727612686296 140727612686314 140727612686314 140727612686311 0\n";

    [Fact]
    public void Stat_Plain()
    {
        Assert.True(ProcParsers.TryParseStat(B(SleepStat), out var s));
        Assert.Equal(6718, s.Pid);
        Assert.Equal("sleep", s.Comm);
        Assert.Equal('S', s.State);
        Assert.Equal(6698, s.Ppid);
        Assert.Equal(12345UL, s.StartTicks);
        Assert.Equal(0u, s.Flags & ProcParsers.PfKthread);
    }

    [Fact]
    public void Stat_CommWithSpacesAndParentheses()
    {
        var line = SleepStat.Replace("(sleep)", "(a) b (c) Z 9)");
        Assert.True(ProcParsers.TryParseStat(B(line), out var s));
        Assert.Equal("a) b (c) Z 9", s.Comm);
        Assert.Equal('S', s.State);
        Assert.Equal(6698, s.Ppid);
        Assert.Equal(12345UL, s.StartTicks);
    }

    [Fact]
    public void Stat_KernelThreadFlag()
    {
        Assert.True(ProcParsers.TryParseStat(B("30 (kauditd) S 2 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"), out var s));
        Assert.NotEqual(0u, s.Flags & ProcParsers.PfKthread);
        Assert.Equal(7UL, s.StartTicks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("6718 (sleep")]
    [InlineData("6718 (sleep) S 6698 1 2")] // truncated before starttime
    [InlineData("x (sleep) S 6698 6718 6718 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0 12345 1")]
    public void Stat_Malformed(string line) => Assert.False(ProcParsers.TryParseStat(B(line), out _));

    [Fact]
    public void Status_UidAndNsPid()
    {
        var status = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t6747\nNgid:\t0\nPid:\t6747\nPPid:\t6718\nTracerPid:\t0\n" +
                     "Uid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t6747\t7\nNSpid:\t6747\t7\nNSpgid:\t6718\t1\n";
        ProcParsers.ParseStatus(B(status), out var uid, out var nsPid);
        Assert.Equal(1000, uid);
        Assert.Equal(7, nsPid);
    }

    [Fact]
    public void Status_HostProcessAndMissingNsPid()
    {
        ProcParsers.ParseStatus(B("Uid:\t0\t0\t0\t0\nNSpid:\t42\n"), out var uid, out var nsPid);
        Assert.Equal(0, uid);
        Assert.Equal(42, nsPid);
        ProcParsers.ParseStatus(B("Name:\told kernel\nUid:\t5\t5\t5\t5\n"), out uid, out nsPid);
        Assert.Equal(5, uid);
        Assert.Null(nsPid);
    }

    [Fact]
    public void Cmdline()
    {
        Assert.Equal(["sh", "-c", "sleep 1000 & sleep 1001"], ProcParsers.SplitCmdline(B("sh\0-c\0sleep 1000 & sleep 1001\0")).ToArray());
        Assert.Equal(["nginx: worker process"], ProcParsers.SplitCmdline(B("nginx: worker process")).ToArray()); // setproctitle, no NUL
        Assert.Equal(["a", ""], ProcParsers.SplitCmdline(B("a\0\0")).ToArray());                                  // empty argument kept
        Assert.Empty(ProcParsers.SplitCmdline(B("")).ToArray());
    }

    [Fact]
    public void BootTime()
    {
        Assert.True(ProcParsers.TryParseBootTime(B("cpu  1 2 3\nintr 5\nctxt 9\nbtime 1764390900\nprocesses 7000\n"), out var btime));
        Assert.Equal(1764390900L, btime);
        Assert.False(ProcParsers.TryParseBootTime(B("cpu 1 2 3\n"), out _));
    }
}
