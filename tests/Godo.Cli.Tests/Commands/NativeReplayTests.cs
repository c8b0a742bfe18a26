using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Godo.Cli.Tests.Commands;

/// <summary>
/// The native `godo replay` (src/Godo.Cli.Replay, Native AOT, run by the launcher) against the managed one (godo.dll):
/// the same standard output, standard error and exit code on every recorded corpus, at each of its checkpoints, on the
/// hostile corpus and on bad input. The native binary is the one `./godo` builds (test.sh builds it first).
/// </summary>
public sealed class NativeReplayTests
{
    private static readonly string RepoRoot = FindRepoRoot();
    private static readonly string CorpusDir = Path.Combine(RepoRoot, "tests", "Godo.Agent.Tests", "Data", "corpus");
    private static readonly Lazy<string> Native = new(BuildNative);

    public static TheoryData<string> Corpora()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(CorpusDir).Where(d => File.Exists(Path.Combine(d, "audit.log"))).Order())
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public async Task Every_checkpoint_of_a_corpus_replays_the_same_natively(string corpus)
    {
        var log = Path.Combine(CorpusDir, corpus, "audit.log");
        var moments = File.ReadLines(Path.Combine(CorpusDir, corpus, "snapshots.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("time").GetDouble().ToString("F3", CultureInfo.InvariantCulture))
            .ToList();
        Assert.NotEmpty(moments);
        await AssertSame("replay", log, "--json", "--host-name", "h");
        await AssertSame("replay", log, "--host-name", "h");
        foreach (var at in moments)
            await AssertSame("replay", log, "--json", "--host-name", "h", "--until", at);
    }

    [Fact]
    public async Task The_hostile_corpus_replays_the_same_natively()
    {
        var path = HostileCorpus.WriteTo(Path.Combine(TestData.NewDir(), "hostile.log"));
        var (_, text, _) = await AssertSame("replay", path, "--host-name", "h");
        Assert.Contains("host h", text);
        await AssertSame("replay", path, "--json", "--host-name", "h", "--argv-cap", "64");
    }

    [Fact]
    public async Task Bad_input_fails_the_same_natively()
    {
        var dir = TestData.NewDir();
        var empty = Path.Combine(dir, "empty.log");
        await File.WriteAllTextAsync(empty, "");
        var junk = Path.Combine(dir, "junk.log");
        await File.WriteAllTextAsync(junk, "not an audit record\n\u0001\u0002\n");
        Assert.Equal(2, (await AssertSame("replay", Path.Combine(dir, "missing.log"))).Code);
        Assert.Equal(2, (await AssertSame("replay", empty)).Code);
        Assert.Equal(2, (await AssertSame("replay", junk)).Code);
        Assert.Equal(2, (await AssertSame("replay", Corpus.DockerBasicPath, "--until", "yesterday-ish")).Code);
        Assert.Equal(2, (await AssertSame("replay", Corpus.DockerBasicPath, "--argv-cap", "lots")).Code);
        Assert.Equal(2, (await AssertSame("replay", Corpus.DockerBasicPath, "--no-such-flag")).Code);
    }

    [Fact]
    public async Task The_launcher_runs_the_native_replay()
    {
        var log = Path.Combine(CorpusDir, "docker-basic", "audit.log");
        var native = await Run(Native.Value, "replay", log, "--json", "--host-name", "h");
        Assert.Equal(0, native.Code);
        // GODO_REPLAY_TIMING's timeline counts the JIT's methods: none in the native binary, hundreds in the managed one.
        var launched = await Run(Path.Combine(RepoRoot, "godo"), ["replay", log, "--json", "--host-name", "h"], ("GODO_REPLAY_TIMING", "1"));
        Assert.Equal(native.Out, launched.Out);
        Assert.Contains("tree written", launched.Err);
        Assert.All(launched.Err.Split('\n').Where(l => l.Contains(" jit ")), l => Assert.Contains(" jit     0 methods", l));
        var managed = await Run(Path.Combine(RepoRoot, "godo"), ["replay", log, "--json", "--host-name", "h"], ("GODO_REPLAY_TIMING", "1"), ("GODO_REPLAY_NATIVE", "0"));
        Assert.Equal(native.Out, managed.Out);
        Assert.Contains(managed.Err.Split('\n'), l => l.Contains("tree written") && !l.Contains(" jit     0 methods"));
    }

    /// <summary>The same command through both binaries: everything they print and their exit code must agree.</summary>
    private static async Task<(int Code, string Out, string Err)> AssertSame(params string[] args)
    {
        var managed = await GodoCli.RunAsync(args);
        var native = await Run(Native.Value, args);
        Assert.True(managed.Out == native.Out, $"godo {string.Join(' ', args)}: stdout differs (managed {managed.Out.Length} chars, native {native.Out.Length})");
        Assert.Equal(managed.Err, native.Err);
        Assert.Equal(managed.Code, native.Code);
        return native;
    }

    private static Task<(int Code, string Out, string Err)> Run(string exe, params string[] args) => Run(exe, args, []);

    private static async Task<(int Code, string Out, string Err)> Run(string exe, string[] args, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in env) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>`./godo --version` builds what is stale, the native replay included; a missing one is a failure here.</summary>
    private static string BuildNative()
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "godo"), "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(15))) { p.Kill(true); throw new TimeoutException("./godo did not build in 15 minutes"); }
        var native = Path.Combine(RepoRoot, ".build", "bin", "godo-replay");
        Assert.True(File.Exists(native), $"./godo built no native replay: {err.Result.Trim()} (see .build/build-native.log)");
        return native;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "godo.sln")) && File.Exists(Path.Combine(dir.FullName, "godo")))
                return dir.FullName;
        throw new InvalidOperationException($"no repository root (godo.sln and ./godo) above {AppContext.BaseDirectory}");
    }
}
