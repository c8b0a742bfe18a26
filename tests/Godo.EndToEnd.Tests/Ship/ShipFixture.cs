using System.Diagnostics;

namespace Godo.EndToEnd.Tests.Ship;

/// <summary>
/// The release artifacts, built once per test run by `scripts/package.sh` (as an operator would, from this clone) into
/// TestResults/ship/dist: the tar.gz, the .deb (lintian and systemd-analyze verify run inside the script) and the
/// images godo/agent and godo/aggregator in the local Docker engine.
/// </summary>
public sealed class ShipFixture : IAsyncLifetime
{
    /// <summary>A fresh Debian (debootstrap minbase + systemd, no .NET) that scripts/setup.sh builds once.</summary>
    public const string DebianImage = "godo/debian-minbase:bookworm";

    public string RepoRoot { get; } = FindRepoRoot();
    public string Dist { get; }
    public string Version { get; }
    public string Deb => Path.Combine(Dist, $"godo_{Version}_amd64.deb");
    public string TarGz => Path.Combine(Dist, $"godo-{Version}-linux-x64.tar.gz");
    public string AgentImage => $"godo/agent:{Version}";
    public string PackageLog { get; private set; } = "";

    public ShipFixture()
    {
        Dist = Path.Combine(RepoRoot, "TestResults", "ship", "dist");
        Version = File.ReadAllText(Path.Combine(RepoRoot, "VERSION")).Trim();
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dist);
        var (code, output) = await Sh.RunAsync(TimeSpan.FromMinutes(30), "bash", Path.Combine(RepoRoot, "scripts", "package.sh"), "--out", Dist);
        PackageLog = output;
        await File.WriteAllTextAsync(Path.Combine(Dist, "..", "package.log"), output);
        if (code != 0) throw new InvalidOperationException($"scripts/package.sh exited {code}:\n{output}");
        var (inspect, _) = await Sh.RunAsync(TimeSpan.FromSeconds(60), "docker", "image", "inspect", DebianImage);
        if (inspect != 0) throw new InvalidOperationException($"{DebianImage} is missing: run scripts/setup.sh (it builds it with debootstrap)");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "godo.sln")) && File.Exists(Path.Combine(dir.FullName, "VERSION")))
                return dir.FullName;
        throw new InvalidOperationException($"no repository root (godo.sln and VERSION) above {AppContext.BaseDirectory}");
    }
}

/// <summary>The package tests run one at a time and never beside the kernel-audit collection (the agent image takes the kernel).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ShipCollection : ICollectionFixture<ShipFixture>
{
    public const string Name = "ship";
}

/// <summary>A command run to its end with a deadline: exit code and stdout+stderr interleaved as they came.</summary>
internal static class Sh
{
    public static async Task<(int Code, string Output)> RunAsync(TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)}: not done in {timeout.TotalMinutes:0.#} min:\n{output}");
        }
        p.WaitForExit();
        lock (output) return (p.ExitCode, output.ToString());
    }

    /// <summary>Stdout only, and a failure unless it exits 0 (within 15 minutes: ./godo may build first).</summary>
    public static async Task<string> OutAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {(await stderr).Trim()}");
        return await stdout;
    }
}
