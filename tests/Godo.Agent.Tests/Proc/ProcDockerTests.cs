using System.Diagnostics;
using System.Globalization;
using Godo.Agent.Containers;
using Godo.Agent.Proc;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Proc;

/// <summary>ProcSnapshotReader against a real container on the real Docker engine.</summary>
[Collection(DockerCollection.Name)]
public class ProcDockerTests
{
    [Fact]
    public void FindsContainerProcessesWithIdNsPidArgvAndParents()
    {
        using var container = new TestContainer("proc", "sh", "-c", "sleep 1000 & sleep 1001");
        var id = container.Inspect("{{.Id}}");
        int initPid = int.Parse(container.Inspect("{{.State.Pid}}"), CultureInfo.InvariantCulture);
        var dockerStartedAt = DateTimeOffset.Parse(container.Inspect("{{.State.StartedAt}}"), CultureInfo.InvariantCulture);
        Assert.Equal(id, container.Id);

        var reader = new ProcSnapshotReader();
        ProcSnapshot snapshot;
        var sw = Stopwatch.StartNew();
        do
        {
            snapshot = reader.ReadAll();
            if (snapshot.Processes.Any(p => p.ContainerId == id && p.Argv.SequenceEqual(["sleep", "1000"]))) break;
            Thread.Sleep(50);
        } while (sw.Elapsed < TimeSpan.FromSeconds(10));

        var inContainer = snapshot.Processes.Where(p => p.ContainerId == id).ToList();

        // init: the pid Docker reports, pid 1 inside. busybox sh execs its last command, so init is `sleep 1001`
        // (a shell that does not would stay `sh -c …` with both sleeps as children).
        var init = Assert.Single(inContainer, p => p.Pid == initPid);
        Assert.Equal(1, init.NsPid);
        bool shellStayed = init.Argv.Length > 0 && init.Argv[0] == "sh";
        if (shellStayed)
            Assert.Equal(["sh", "-c", "sleep 1000 & sleep 1001"], init.Argv.ToArray());
        else
            Assert.Equal(["sleep", "1001"], init.Argv.ToArray());
        Assert.Equal("/bin/busybox", init.Exe); // as seen in the container's mount namespace
        Assert.Equal("/", init.Cwd);
        Assert.Equal(0, init.Uid);
        Assert.False(init.IsZombie);
        // /proc's start time is boot time (whole seconds, so up to 1 s early) plus ticks; Docker records StartedAt
        // only after runc's start returns, which on a loaded host is seconds after the process began.
        Assert.InRange(init.StartedAt, dockerStartedAt.AddSeconds(-10), dockerStartedAt.AddSeconds(2));

        // The background sleep: a child of init, its own pid inside the namespace.
        var child = Assert.Single(inContainer, p => p.Argv.SequenceEqual(["sleep", "1000"]));
        Assert.Equal(init.Pid, child.Ppid);
        Assert.Equal("sleep", child.Comm);
        Assert.NotNull(child.NsPid);
        Assert.NotEqual(1, child.NsPid);
        Assert.NotEqual(child.Pid, child.NsPid);
        Assert.Equal(shellStayed ? 3 : 2, inContainer.Count);

        // init's parent is the containerd shim, on the host, naming the same container.
        var shim = Assert.Single(snapshot.Processes, p => p.Pid == init.Ppid);
        Assert.Null(shim.ContainerId);
        Assert.True(ShimCommandLine.IsShim(shim.Argv), string.Join(' ', shim.Argv));
        Assert.Equal(id, ShimCommandLine.TryGetContainerId(shim.Argv));

        // The same through ReadOne and the public model.
        var info = reader.ReadOne(initPid)!.ToProcessInfo();
        Assert.Equal(id, info.Container);
        Assert.Equal(1, info.NsPid);
        Assert.Equal(shim.Pid, info.Ppid);
    }

    [Fact]
    public void ExitedContainerProcessesDisappear()
    {
        string id;
        int initPid;
        ulong startTicks;
        var reader = new ProcSnapshotReader();
        using (var container = new TestContainer("gone", "sleep", "1000"))
        {
            id = container.Id;
            initPid = int.Parse(container.Inspect("{{.State.Pid}}"), CultureInfo.InvariantCulture);
            startTicks = reader.ReadOne(initPid)!.StartTicks;
        }
        var again = reader.ReadOne(initPid);
        // Gone, or the pid was reused by another process (different start ticks, not in the container).
        Assert.True(again is null || (again.StartTicks != startTicks && again.ContainerId != id));
        Assert.DoesNotContain(reader.ReadAll().Processes, p => p.ContainerId == id);
    }
}
