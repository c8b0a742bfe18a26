using Godo.Agent.Containers;

namespace Godo.Agent.Tests.Containers;

public class ShimCommandLineTests
{
    private const string Id = "d9a46b04092bf71a652b9f7d72253cc70ca02385aa0f30c38ae286b085e00a62";

    [Fact]
    public void RuncV2_AsSeenOnTheGodoVm()
    {
        string[] argv = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", Id, "-address", "/run/containerd/containerd.sock"];
        Assert.True(ShimCommandLine.IsShim(argv));
        Assert.Equal(Id, ShimCommandLine.TryGetContainerId(argv));
    }

    [Fact]
    public void RuncV2_StartLauncher() =>
        Assert.Equal(Id, ShimCommandLine.TryGetContainerId(
            ["containerd-shim-runc-v2", "-namespace", "moby", "-address", "/run/containerd/containerd.sock",
             "-publish-binary", "/usr/bin/containerd", "-id", Id, "start"]));

    [Theory]
    [InlineData("--id")]
    [InlineData("-id=")]
    [InlineData("--id=")]
    public void RuncV2_OtherFlagSpellings(string flag)
    {
        string[] argv = flag.EndsWith('=')
            ? ["containerd-shim-runc-v2", "-namespace", "k8s.io", flag + Id]
            : ["containerd-shim-runc-v2", "-namespace", "k8s.io", flag, Id];
        Assert.Equal(Id, ShimCommandLine.TryGetContainerId(argv));
    }

    [Fact]
    public void ShimV1_Workdir() =>
        Assert.Equal(Id, ShimCommandLine.TryGetContainerId(
            ["containerd-shim", "-namespace", "moby", "-workdir", $"/var/lib/containerd/io.containerd.runtime.v1.linux/moby/{Id}",
             "-address", "/run/containerd/containerd.sock", "-containerd-binary", "/usr/bin/containerd", "-runtime-root", "/var/run/docker/runtime-runc"]));

    [Fact]
    public void RecognisedByExe_WhenArgv0DoesNotNameIt()
    {
        // The tree passes the executable too (exec -a, or a rewritten argv[0] still runs the shim binary).
        string[] argv = ["shim", "-namespace", "moby", "-id", Id, "-address", "/run/containerd/containerd.sock"];
        Assert.Null(ShimCommandLine.TryGetContainerId(argv));
        Assert.Equal(Id, ShimCommandLine.TryGetContainerId(argv, "/usr/bin/containerd-shim-runc-v2"));
        Assert.Null(ShimCommandLine.TryGetContainerId(argv, "/usr/bin/containerd"));
    }

    [Fact]
    public void NotAShim()
    {
        string[] argv = ["/usr/bin/containerd", "-id", Id];
        Assert.False(ShimCommandLine.IsShim(argv));
        Assert.Null(ShimCommandLine.TryGetContainerId(argv));
        Assert.Null(ShimCommandLine.TryGetContainerId([]));
        Assert.Null(ShimCommandLine.TryGetContainerId(["sleep", "1000"]));
    }

    [Fact]
    public void ShimWithoutUsableId()
    {
        Assert.Null(ShimCommandLine.TryGetContainerId(["containerd-shim-runc-v2", "-id"]));
        Assert.Null(ShimCommandLine.TryGetContainerId(["containerd-shim-runc-v2", "-id", "not-a-hex-id"]));
        Assert.Null(ShimCommandLine.TryGetContainerId(["containerd-shim-runc-v2", "-namespace", "moby"]));
    }

    [Theory]
    [InlineData("start", true)]
    [InlineData("delete", true)]
    [InlineData(null, false)]
    public void The_start_and_delete_commands_are_told_from_the_shim_itself(string? command, bool isCommand)
    {
        string[] argv = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", new string('a', 64), "-address", "/run/containerd/containerd.sock"];
        if (command is not null) argv = [.. argv, command];
        Assert.Equal(isCommand, ShimCommandLine.IsCommand(argv));
    }
}
