using Godo.Agent.Containers;

namespace Godo.Agent.Tests.Containers;

public class CgroupContainerIdTests
{
    private const string Id = "d9a46b04092bf71a652b9f7d72253cc70ca02385aa0f30c38ae286b085e00a62";
    private const string Id2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string PodUidDashes = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
    private const string PodUidUnderscores = "1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d";

    [Fact]
    public void DockerCgroupfsV1_AsSeenOnTheGodoVm()
    {
        // Exactly what /proc/PID/cgroup says for a container on the dev VM (docker 20.10, cgroup v1, cgroupfs).
        var file = $"""
            9:name=systemd:/docker/{Id}
            8:pids:/docker/{Id}
            7:blkio:/docker/{Id}
            6:freezer:/docker/{Id}
            5:devices:/docker/{Id}
            4:memory:/docker/{Id}
            3:cpuset:/docker/{Id}
            2:cpuacct:/docker/{Id}
            1:cpu:/docker/{Id}
            0::/docker/{Id}

            """;
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(file));
    }

    [Fact]
    public void DockerCgroupfsV2() => Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/docker/{Id}\n"));

    [Fact]
    public void DockerSystemdV2() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/system.slice/docker-{Id}.scope\n"));

    [Fact]
    public void DockerSystemdV1()
    {
        var file = $"""
            12:pids:/system.slice/docker-{Id}.scope
            11:memory:/system.slice/docker-{Id}.scope
            2:cpu,cpuacct:/system.slice/docker-{Id}.scope
            1:name=systemd:/system.slice/docker-{Id}.scope
            0::/system.slice/docker-{Id}.scope
            """;
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(file));
    }

    [Fact]
    public void HybridWithRootUnifiedLine_UsesV1Lines()
    {
        var file = $"""
            4:memory:/docker/{Id}
            1:name=systemd:/docker/{Id}
            0::/
            """;
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(file));
    }

    [Fact]
    public void DockerNestedPaths_OutermostWins()
    {
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/docker/{Id}/init.scope\n"));
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/docker/{Id}/system.slice/cron.service\n"));
        // Docker in Docker: the host engine knows only the outer container.
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/docker/{Id}/docker/{Id2}\n"));
        // kind: a Kubernetes node inside a Docker container.
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/docker/{Id}/kubepods/besteffort/pod{PodUidDashes}/{Id2}\n"));
    }

    [Fact]
    public void ContainerdCriSystemdV1()
    {
        var file = $"""
            12:pids:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/cri-containerd-{Id}.scope
            4:memory:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/cri-containerd-{Id}.scope
            1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/cri-containerd-{Id}.scope
            0::/
            """;
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(file));
    }

    [Fact]
    public void KubepodsBurstableSystemd() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(
            $"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/cri-containerd-{Id}.scope\n"));

    [Fact]
    public void KubepodsBestEffortSystemd() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(
            $"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{PodUidUnderscores}.slice/cri-containerd-{Id}.scope\n"));

    [Fact]
    public void KubepodsGuaranteedSystemd() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(
            $"0::/kubepods.slice/kubepods-pod{PodUidUnderscores}.slice/cri-containerd-{Id}.scope\n"));

    [Fact]
    public void KubepodsDockershimSystemd() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(
            $"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/docker-{Id}.scope\n"));

    [Fact]
    public void KubepodsBurstableCgroupfsV1()
    {
        var file = $"""
            11:memory:/kubepods/burstable/pod{PodUidDashes}/{Id}
            1:name=systemd:/kubepods/burstable/pod{PodUidDashes}/{Id}
            """;
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(file));
    }

    [Fact]
    public void KubepodsBestEffortCgroupfsV2() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/kubepods/besteffort/pod{PodUidDashes}/{Id}\n"));

    [Fact]
    public void KubepodsGuaranteedCgroupfs() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/kubepods/pod{PodUidDashes}/{Id}\n"));

    [Fact]
    public void CriO() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(
            $"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/crio-{Id}.scope\n"));

    [Fact]
    public void CriOCgroupfs() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/kubepods/burstable/pod{PodUidDashes}/crio-{Id}\n"));

    [Fact]
    public void CriOConmon_IsNotTheContainer() =>
        Assert.Null(CgroupContainerId.FromCgroupFile(
            $"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUidUnderscores}.slice/crio-conmon-{Id}.scope\n"));

    [Fact]
    public void Podman() => Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/machine.slice/libpod-{Id}.scope\n"));

    [Fact]
    public void PodmanContainerSubgroup() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/machine.slice/libpod-{Id}.scope/container\n"));

    [Fact]
    public void PodmanRootless() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile(
            $"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{Id}.scope/container\n"));

    [Fact]
    public void PodmanConmon_IsNotTheContainer() =>
        Assert.Null(CgroupContainerId.FromCgroupFile($"0::/machine.slice/libpod-conmon-{Id}.scope\n"));

    [Fact]
    public void ContainerdNamespaceCgroupfs() =>
        Assert.Equal(Id, CgroupContainerId.FromCgroupFile($"0::/default/{Id}\n"));

    [Theory]
    [InlineData("0::/\n")]
    [InlineData("0::/init.scope\n")]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope\n")]
    [InlineData("0::/system.slice/docker.service\n")]
    [InlineData("0::/system.slice/containerd.service\n")]
    [InlineData("")]
    [InlineData("garbage without colons")]
    public void HostProcesses_AreNull(string file) => Assert.Null(CgroupContainerId.FromCgroupFile(file));

    [Fact]
    public void HostProcessOnTheGodoVm_IsNull()
    {
        // The VM's own sandbox puts host processes in a 32-hex memory cgroup: not a container id.
        var file = """
            9:name=systemd:/
            8:pids:/
            4:memory:/process_api/c05d0f75a76ac3cbf33a84290dd531f4
            1:cpu:/
            0::/
            """;
        Assert.Null(CgroupContainerId.FromCgroupFile(file));
    }

    [Theory]
    [InlineData("0::/docker/d9a46b04092bf71a652b9f7d72253cc70ca02385aa0f30c38ae286b085e00a6\n")]   // 63 hex
    [InlineData("0::/docker/d9a46b04092bf71a652b9f7d72253cc70ca02385aa0f30c38ae286b085e00a62a\n")] // 65 hex
    [InlineData("0::/docker/D9A46B04092BF71A652B9F7D72253CC70CA02385AA0F30C38AE286B085E00A62\n")]  // not lower
    [InlineData("0::/system.slice/foo-d9a46b04092bf71a652b9f7d72253cc70ca02385aa0f30c38ae286b085e00a62.scope\n")]
    public void NearMisses_AreNull(string file) => Assert.Null(CgroupContainerId.FromCgroupFile(file));

    [Fact]
    public void PathForm() => Assert.Equal(Id, CgroupContainerId.FromCgroupPath($"/docker/{Id}"));
}
