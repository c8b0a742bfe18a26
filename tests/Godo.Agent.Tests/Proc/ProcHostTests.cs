using System.Diagnostics;
using Godo.Agent.Proc;
using Xunit.Abstractions;

namespace Godo.Agent.Tests.Proc;

/// <summary>ProcSnapshotReader against this machine's real /proc (no Docker needed).</summary>
public class ProcHostTests(ITestOutputHelper output)
{
    [Fact]
    public void FindsThisTestProcess()
    {
        var snapshot = new ProcSnapshotReader().ReadAll();
        var me = Assert.Single(snapshot.Processes, p => p.Pid == Environment.ProcessId);
        using var self = Process.GetCurrentProcess();
        Assert.Equal(Environment.ProcessPath, me.Exe);
        Assert.Equal(Environment.CurrentDirectory, me.Cwd);
        Assert.NotEmpty(me.Argv);
        Assert.Null(me.ContainerId);
        Assert.Equal(me.Pid, me.NsPid);
        Assert.Equal(0, me.Uid); // tests run as root
        Assert.False(me.IsZombie);
        Assert.InRange(me.StartedAt, self.StartTime.ToUniversalTime().AddSeconds(-2), self.StartTime.ToUniversalTime().AddSeconds(2));
        // No kernel threads, no threads, parents are real.
        Assert.DoesNotContain(snapshot.Processes, p => p.Pid == 2 || p.Ppid == 2);
        Assert.Contains(snapshot.Processes, p => p.Pid == me.Ppid);
        Assert.Equal(snapshot.Processes.Select(p => p.Pid).Distinct().Count(), snapshot.Processes.Length);
    }

    [Fact]
    public void WholeProcOfABusyHostIsRead() // its time is printed, not asserted: timings are for bench/, not tests
    {
        var reader = new ProcSnapshotReader();
        // Bring the host up to at least ~500 user processes, as on a busy Docker host.
        int missing = Math.Max(0, 520 - reader.ReadAll().Processes.Length);
        // setsid: the shell leads its own process group, so one kill(-pgid) ends it and all its sleeps.
        using var sleepers = Process.Start(new ProcessStartInfo("setsid", ["/bin/sh", "-c", $"i=0; while [ $i -lt {missing} ]; do sleep 300 & i=$((i+1)); done; wait"])
        {
            UseShellExecute = false,
        })!;
        try
        {
            var deadline = Stopwatch.StartNew();
            while (reader.ReadAll().Processes.Length < 500 && deadline.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(50);

            var best = TimeSpan.MaxValue;
            int count = 0;
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                count = reader.ReadAll().Processes.Length;
                sw.Stop();
                if (sw.Elapsed < best) best = sw.Elapsed;
            }
            output.WriteLine($"{count} processes in {best.TotalMilliseconds:F1} ms (best of 5)");
            Assert.True(count >= 500, $"only {count} processes");
        }
        finally
        {
            using (var kill = Process.Start("kill", ["-KILL", "--", $"-{sleepers.Id}"])) kill.WaitForExit();
            sleepers.WaitForExit();
        }
    }

    [Fact]
    public void ProcessesExitingWhileReadDoNotThrow()
    {
        var reader = new ProcSnapshotReader();
        var children = new List<Process>();
        try
        {
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < 5; i++)
                    children.Add(Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!);
                reader.ReadAll();
            }
        }
        finally
        {
            foreach (var c in children) { c.WaitForExit(); c.Dispose(); }
        }
    }
}
