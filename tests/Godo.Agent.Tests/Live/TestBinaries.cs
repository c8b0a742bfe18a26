using System.Diagnostics;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// The repository (for ./godo and the helper programs' sources) and the multithreaded helper: the image
/// godo/testbin:1 (godo/busybox:1 plus static C helpers, built by corpus-workloads/src/build-testbin.sh) and a host
/// copy of `threads` compiled with gcc. Built here, in the tests' own setup, when missing.
/// </summary>
internal static class TestBinaries
{
    public const string TestbinImage = "godo/testbin:1";
    private static readonly object Gate = new();
    private static string? _hostThreads;

    /// <summary>The repository root: the first ancestor of the test's base directory with ./godo and godo.sln.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "godo")) && File.Exists(Path.Combine(d.FullName, "godo.sln")))
                return d.FullName;
        throw new InvalidOperationException($"no repository root (with ./godo and godo.sln) above {AppContext.BaseDirectory}");
    }

    /// <summary>Makes sure godo/testbin:1 exists with /bin/threads (a static pthread program), /bin/crash and /bin/waitall; builds it otherwise.</summary>
    public static void EnsureTestbinImage()
    {
        lock (Gate)
        {
            static bool HasThreads() => Run("docker", "run", "--rm", "--network", "none", TestbinImage,
                "sh", "-c", "test -x /bin/threads && test -x /bin/crash && test -x /bin/waitall").Exit == 0;
            if (HasThreads()) return;
            var script = Path.Combine(RepoRoot(), "corpus-workloads", "src", "build-testbin.sh");
            var (exit, output) = Run("bash", script);
            // Without gcc-multilib the script skips the i386 helper and fails its last check; the live tests need no i386.
            Assert.True(HasThreads(), $"building {TestbinImage} with {script} failed ({exit}):\n{output}");
        }
    }

    /// <summary>A host copy of corpus-workloads/src/threads.c (threads N [PROG ARGS]), compiled once per test run.</summary>
    public static string HostThreads()
    {
        lock (Gate)
        {
            if (_hostThreads is not null && File.Exists(_hostThreads)) return _hostThreads;
            // Beside the test binaries, not in a new temp folder per run that nothing removes.
            var bin = Path.Combine(AppContext.BaseDirectory, "host-threads");
            var (exit, output) = Run("gcc", "-static", "-O2", "-pthread", "-o", bin,
                Path.Combine(RepoRoot(), "corpus-workloads", "src", "threads.c"));
            Assert.True(exit == 0, $"gcc threads.c failed ({exit}):\n{output}");
            return _hostThreads = bin;
        }
    }

    public static (int Exit, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 180 s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>Containers a live test starts (named godolive-…): the scope of its comparisons, removed at the end.</summary>
internal sealed class LiveContainers : IDisposable
{
    private readonly List<(string Id, string Name)> _all = [];

    public IReadOnlyList<(string Id, string Name)> All { get { lock (_all) return _all.ToList(); } }

    public bool Contains(string id) { lock (_all) return _all.Any(c => c.Id == id); }

    /// <summary>docker run -d --network none --name godolive-PURPOSE-xxxx IMAGE COMMAND…; returns the full id.</summary>
    public string RunImage(string purpose, string image, params string[] command) => RunWith(purpose, [], image, command);

    /// <summary>Like <see cref="RunImage"/> with more `docker run` options (e.g. --init, -m 16m).</summary>
    public string RunWith(string purpose, string[] options, string image, params string[] command)
    {
        var name = $"godolive-{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        var id = DockerCli.Run(["run", "-d", "--network", "none", "--name", name, .. options, image, .. command]);
        lock (_all) _all.Add((id, name));
        return id;
    }

    public string Run(string purpose, params string[] command) => RunImage(purpose, DockerCollection.TestImage, command);

    public void Dispose()
    {
        foreach (var (id, _) in All) DockerCli.RemoveQuietly(id);
    }
}
