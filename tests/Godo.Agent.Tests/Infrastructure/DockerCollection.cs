namespace Godo.Agent.Tests.Infrastructure;

/// <summary>
/// Tests that use the real Docker engine (/var/run/docker.sock, started by scripts/setup.sh). They run one at a
/// time; they create containers named <c>godotest-…</c> and remove them. Missing Docker makes them FAIL, not skip.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DockerCollection
{
    public const string Name = "docker";
    public const string TestImage = "godo/busybox:1";
}
