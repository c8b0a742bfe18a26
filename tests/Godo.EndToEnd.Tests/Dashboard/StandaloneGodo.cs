using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Godo.EndToEnd.Tests.Dashboard;

/// <summary>
/// A real `./godo standalone` (live agent on the kernel audit subsystem + aggregator + dashboard) started from the
/// repository root as a separate process, with an API token, on a free loopback port. It holds
/// /tmp/godo-audit.lock while it runs (the same lock manual runs take with flock(1)), stops with SIGTERM like a
/// person pressing Ctrl-C, and on the way out checks that the kernel audit state is back to what it was:
/// the rules `auditctl -l` lists, and no audit daemon pid (`auditctl -s`).
/// </summary>
public sealed class StandaloneGodo : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10); // the first ./godo builds Release
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private KernelAuditLock? _lock;
    private Process? _process;
    private readonly StringBuilder _log = new();
    private string _rulesBefore = "";
    private readonly string _certs = Path.Combine(Path.GetTempPath(), "godo-ui-certs-" + Guid.NewGuid().ToString("N")[..8]);
    /// <summary>Its history store: its own, never the machine's /var/lib/godo.</summary>
    private readonly string _data = Path.Combine(Path.GetTempPath(), "godo-ui-data-" + Guid.NewGuid().ToString("N")[..8]);

    public string RepoRoot { get; } = FindRepoRoot();
    public string BaseUrl { get; private set; } = "";
    public string Token { get; } = "godo-ui-" + Guid.NewGuid().ToString("N")[..16];
    /// <summary>The host name the standalone agent reports (from /api/hosts).</summary>
    public string Host { get; private set; } = "";
    /// <summary>Where the tests put screenshots and logs: TestResults/dashboard under the repository root.</summary>
    public string ArtifactDir { get; }
    /// <summary>An HTTP client that sends the bearer token.</summary>
    public HttpClient Http { get; private set; } = null!;

    public StandaloneGodo()
    {
        ArtifactDir = Path.Combine(RepoRoot, "TestResults", "dashboard");
        Directory.CreateDirectory(ArtifactDir);
    }

    public async Task InitializeAsync()
    {
        _lock = await KernelAuditLock.TakeAsync(KernelAuditLock.DefaultPath, TimeSpan.FromMinutes(30));
        Docker.RemoveLeftovers();
        _rulesBefore = Run("auditctl", "-l").Trim();

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "godo"))
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("standalone");
        psi.ArgumentList.Add("--http");
        psi.ArgumentList.Add(BaseUrl);
        psi.ArgumentList.Add("--data");
        psi.ArgumentList.Add(_data);
        // A standalone is a one-node cluster: it runs with mutual TLS on its remoting, from certificates `godo certs` makes.
        RunGodo("certs", "init", _certs);
        RunGodo("certs", "issue", _certs, "standalone", "--role", "aggregator");
        foreach (var (flag, file) in new[] { ("--tls-cert", "standalone.crt"), ("--tls-key", "standalone.key"), ("--tls-ca", "ca.crt") })
        {
            psi.ArgumentList.Add(flag);
            psi.ArgumentList.Add(Path.Combine(_certs, file));
        }
        psi.Environment["GODO_API_TOKEN"] = Token;
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ./godo standalone");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"./godo standalone exited with {_process.ExitCode} before it was ready:\n{Log}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"./godo standalone not ready in {StartTimeout.TotalSeconds:0} s:\n{Log}");
            try
            {
                using var ready = await Http.GetAsync("/healthz/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    using var doc = JsonDocument.Parse(await Http.GetStringAsync("/api/hosts"));
                    foreach (var h in doc.RootElement.EnumerateArray())
                        if (h.TryGetProperty("status", out var st) && st.GetString() == "up" && h.TryGetProperty("processCount", out var n) && n.GetInt32() > 0)
                            Host = h.GetProperty("host").GetString()!;
                    if (Host.Length > 0) break;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        // its remoting listens under TLS (akka.ssl.tcp), as the start line says
        using var cluster = JsonDocument.Parse(await Http.GetStringAsync("/api/cluster"));
        if (!cluster.RootElement.ToString().Contains("akka.ssl.tcp://", StringComparison.Ordinal) || !Log.Contains("mutual TLS", StringComparison.Ordinal))
            throw new InvalidOperationException($"./godo standalone is not on TLS:\n{Log}");
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_lock is null) return; // never started: the audit state is not ours to check
        Docker.RemoveLeftovers();
        var problems = new List<string>();
        try
        {
            if (_process is { HasExited: false })
            {
                _ = kill(_process.Id, 15 /* SIGTERM */);
                using var cts = new CancellationTokenSource(StopTimeout);
                try { await _process.WaitForExitAsync(cts.Token); }
                catch (OperationCanceledException)
                {
                    problems.Add($"./godo standalone did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM; killed");
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
            if (_process is not null) lock (_log) _log.AppendLine($"[exit code {_process.ExitCode}]");
            File.WriteAllText(Path.Combine(ArtifactDir, "standalone.log"), Log);

            // The agent restores the audit state it found: the same rules, and no audit daemon registered.
            var rulesAfter = Run("auditctl", "-l").Trim();
            if (rulesAfter != _rulesBefore) problems.Add($"audit rules after the standalone run differ: before\n{_rulesBefore}\nafter\n{rulesAfter}");
            var status = Run("auditctl", "-s");
            var pidLine = status.Split('\n').FirstOrDefault(l => l.StartsWith("pid ", StringComparison.Ordinal))?.Trim();
            if (pidLine != "pid 0") problems.Add($"auditctl -s still names an audit daemon after the run: {pidLine}");
        }
        finally
        {
            _process?.Dispose();
            _lock?.Dispose();
            if (Directory.Exists(_certs)) Directory.Delete(_certs, true);
            if (Directory.Exists(_data)) Directory.Delete(_data, true);
        }
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("\n", problems));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "godo.sln")) && File.Exists(Path.Combine(dir.FullName, "godo")))
                return dir.FullName;
        throw new InvalidOperationException($"no repository root (godo.sln and ./godo) above {AppContext.BaseDirectory}");
    }

    /// <summary>`./godo ARGS`, allowing for the first run's Release build.</summary>
    private string RunGodo(params string[] args) => Run(TimeSpan.FromMinutes(10), Path.Combine(RepoRoot, "godo"), args);

    internal static string Run(string file, params string[] args) => Run(TimeSpan.FromSeconds(60), file, args);

    private static string Run(TimeSpan timeout, string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(); throw new TimeoutException($"{file} {string.Join(' ', args)}: no answer in {timeout.TotalSeconds:0} s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

/// <summary>The docker CLI for the dashboard tests: containers are named godoui-… and removed afterwards.</summary>
internal static class Docker
{
    public const string Image = "godo/busybox:1";
    public const string Prefix = "godoui-";

    public static string NewName(string purpose) => $"{Prefix}{purpose}-{Guid.NewGuid().ToString("N")[..6]}";

    public static string Run(params string[] args) => StandaloneGodo.Run("docker", args).Trim();

    public static void RemoveQuietly(string nameOrId)
    {
        try { Run("rm", "-f", nameOrId); } catch (InvalidOperationException) { }
    }

    public static void RemoveLeftovers()
    {
        foreach (var id in Run("ps", "-aq", "--filter", "name=" + Prefix).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            RemoveQuietly(id);
    }
}
