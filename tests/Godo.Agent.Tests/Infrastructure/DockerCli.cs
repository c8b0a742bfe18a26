using System.Diagnostics;

namespace Godo.Agent.Tests.Infrastructure;

/// <summary>The docker command line, as a person would use it: the reference the tests compare godo against.</summary>
internal static class DockerCli
{
    public static string Run(params string[] args)
    {
        var psi = new ProcessStartInfo("docker", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start docker");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"docker {string.Join(' ', args)}: no answer in 60 s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result.Trim();
    }

    /// <summary>A unique container name with the godotest- prefix.</summary>
    public static string NewName(string purpose) => $"godotest-{purpose}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>docker rm -f, ignoring "no such container".</summary>
    public static void RemoveQuietly(string nameOrId)
    {
        try { Run("rm", "-f", nameOrId); } catch (InvalidOperationException) { }
    }
}

/// <summary>A running container removed on dispose.</summary>
internal sealed class TestContainer : IDisposable
{
    public string Name { get; }
    public string Id { get; }

    public TestContainer(string purpose, params string[] command) : this(purpose, [], command) { }

    public TestContainer(string purpose, string[] runOptions, string[] command)
    {
        Name = DockerCli.NewName(purpose);
        Id = DockerCli.Run(["run", "-d", "--name", Name, .. runOptions, DockerCollection.TestImage, .. command]);
    }

    public string Inspect(string format) => DockerCli.Run("inspect", "-f", format, Id);

    public void Dispose() => DockerCli.RemoveQuietly(Id);
}
