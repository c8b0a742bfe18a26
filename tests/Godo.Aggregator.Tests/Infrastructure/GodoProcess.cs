using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Godo.Aggregator.Tests.Infrastructure;

/// <summary>`godo ...` as a separate OS process (the same godo.dll that ./godo runs), with its output kept for failure messages.</summary>
public sealed class GodoProcess : IAsyncDisposable
{
    private static readonly string GodoDll = Path.Combine(AppContext.BaseDirectory, "godo.dll");
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public GodoProcess(string name, params string[] args)
    {
        Name = name;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(GodoDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GODO_API_TOKEN");
        if (!psi.Environment.ContainsKey("GODO_DATA")) psi.Environment["GODO_DATA"] = TestData.NewDir(); // its own journal, never /var/lib/godo
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Waits for the process to end by itself; its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: a graceful leave; then SIGKILL
            try { Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit(2000); } catch (Exception) { }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { Kill(); }
        }
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
