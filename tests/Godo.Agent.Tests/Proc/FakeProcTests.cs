using System.Text;
using Godo.Agent.Proc;

namespace Godo.Agent.Tests.Proc;

/// <summary>ProcSnapshotReader over a directory laid out like /proc.</summary>
public sealed class FakeProcTests : IDisposable
{
    private const string Cid = "d9a46b04092bf71a652b9f7d72253cc70ca02385aa0f30c38ae286b085e00a62";
    private const long BootSeconds = 1_764_390_900;
    private readonly string _root = Directory.CreateTempSubdirectory("godo-fakeproc-").FullName;

    public FakeProcTests()
    {
        File.WriteAllText(Path.Combine(_root, "stat"), $"cpu  1 2 3 4\nintr 1\nbtime {BootSeconds}\nprocesses 10\n");
        Directory.CreateDirectory(Path.Combine(_root, "self")); // non-numeric entries are ignored
        Directory.CreateDirectory(Path.Combine(_root, "sys"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void AddProcess(int pid, int ppid, string comm, char state = 'S', ulong start = 100, string? cmdline = null,
        string cgroup = "0::/\n", string? nspid = null, int uid = 0, string? exe = null, string? cwd = null, uint flags = 4194560)
    {
        var dir = Path.Combine(_root, pid.ToString());
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "stat"),
            $"{pid} ({comm}) {state} {ppid} {pid} {pid} 0 -1 {flags} 0 0 0 0 0 0 0 0 20 0 1 0 {start} 1000 1 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(dir, "status"),
            $"Name:\t{comm}\nPid:\t{pid}\nPPid:\t{ppid}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nNSpid:\t{nspid ?? pid.ToString()}\n");
        File.WriteAllBytes(Path.Combine(dir, "cmdline"), Encoding.UTF8.GetBytes(cmdline ?? ""));
        File.WriteAllText(Path.Combine(dir, "cgroup"), cgroup);
        if (exe is not null) File.CreateSymbolicLink(Path.Combine(dir, "exe"), exe);
        if (cwd is not null) File.CreateSymbolicLink(Path.Combine(dir, "cwd"), cwd);
        Directory.CreateDirectory(Path.Combine(dir, "task"));
    }

    [Fact]
    public void ReadsFieldsSkipsKernelThreadsKeepsZombies()
    {
        AddProcess(1, 0, "init", cmdline: "/sbin/init\0", exe: "/sbin/init", cwd: "/");
        AddProcess(2, 0, "kthreadd");
        AddProcess(30, 2, "kauditd", flags: 2129984);
        AddProcess(77, 1, "odd kthread", flags: 2129984);                         // PF_KTHREAD without ppid 2
        AddProcess(500, 1, "sh", start: 250, cmdline: "sh\0-c\0sleep 1000 & sleep 1001\0", cgroup: $"0::/docker/{Cid}\n",
            nspid: "500\t1", uid: 1000, exe: "/bin/busybox", cwd: "/tmp");
        AddProcess(501, 500, "sleep", state: 'Z', cgroup: $"0::/docker/{Cid}\n", nspid: "501\t7");
        Directory.CreateDirectory(Path.Combine(_root, "502"));                    // vanished: only the directory left
        AddProcess(503, 1, "broken");
        File.WriteAllText(Path.Combine(_root, "503", "stat"), "503 (broken) S");  // truncated stat

        var snapshot = new ProcSnapshotReader(_root).ReadAll();

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(BootSeconds), snapshot.BootTime);
        Assert.Equal([1, 500, 501], snapshot.Processes.Select(p => p.Pid));

        var init = snapshot.Processes[0];
        Assert.Equal("/sbin/init", init.Exe);
        Assert.Equal("/", init.Cwd);
        Assert.Null(init.ContainerId);

        var sh = snapshot.Processes[1];
        Assert.Equal(1, sh.Ppid);
        Assert.Equal("sh", sh.Comm);
        Assert.Equal(["sh", "-c", "sleep 1000 & sleep 1001"], sh.Argv.ToArray());
        Assert.Equal(Cid, sh.ContainerId);
        Assert.Equal(1, sh.NsPid);
        Assert.Equal(1000, sh.Uid);
        Assert.Equal("/bin/busybox", sh.Exe);
        Assert.Equal("/tmp", sh.Cwd);
        Assert.Equal(250UL, sh.StartTicks);
        Assert.Equal(new ProcessKey(500, 250), sh.Key);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(BootSeconds).AddSeconds(2.5), sh.StartedAt);
        Assert.False(sh.IsZombie);

        var zombie = snapshot.Processes[2];
        Assert.True(zombie.IsZombie);
        Assert.Empty(zombie.Argv);
        Assert.Null(zombie.Exe);
        Assert.Null(zombie.Cwd);
        Assert.Equal(7, zombie.NsPid);

        var info = sh.ToProcessInfo();
        Assert.Equal(500, info.Pid);
        Assert.Equal(Cid, info.Container);
        Assert.Equal(1, info.NsPid);
        Assert.Equal(sh.StartedAt, info.StartedAt);
        Assert.Equal(sh.Argv.ToArray(), info.Argv.ToArray());
    }

    [Fact]
    public void ReadOne()
    {
        AddProcess(10, 1, "one", cmdline: "one\0");
        var reader = new ProcSnapshotReader(_root + "/");
        Assert.Equal(["one"], reader.ReadOne(10)!.Argv.ToArray());
        Assert.Null(reader.ReadOne(11));
    }

    [Fact]
    public void MissingBtime_Throws()
    {
        File.WriteAllText(Path.Combine(_root, "stat"), "cpu 1 2 3\n");
        Assert.Throws<IOException>(() => new ProcSnapshotReader(_root).ReadAll());
    }
}
