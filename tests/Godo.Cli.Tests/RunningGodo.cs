using System.Diagnostics;
using System.Text;

namespace Godo.Cli.Tests;

/// <summary>A `godo` process kept while it runs: its standard output as bytes, its standard error as text, signals.</summary>
internal sealed class RunningGodo : IDisposable
{
    private readonly Process _process;
    private string _dataDir = "";
    private readonly MemoryStream _out = new();
    private readonly StringBuilder _err = new();
    private readonly Task _copy;

    private RunningGodo(Process process)
    {
        _process = process;
        _copy = Task.WhenAll(Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await process.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
                lock (_out) _out.Write(buffer, 0, n);
        }), Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (_err) _err.Append(line).Append('\n');
        }));
    }

    public static RunningGodo Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "godo.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GODO_API_TOKEN");
        // A store of its own (unless --data or --journal says otherwise), never the machine's /var/lib/godo.
        var dataDir = Path.Combine(Path.GetTempPath(), "godo-cli-" + Guid.NewGuid().ToString("N"));
        psi.Environment["GODO_DATA"] = dataDir;
        return new RunningGodo(Process.Start(psi)!) { _dataDir = dataDir };
    }

    public byte[] Output()
    {
        lock (_out) return _out.ToArray();
    }

    public string Error()
    {
        lock (_err) return _err.ToString();
    }

    /// <summary>Sends a signal by name (TERM, INT) as a supervisor or Ctrl-C would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString()]);
        kill.WaitForExit();
    }

    public async Task<(int Code, byte[] Out)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _copy;
        return (_process.ExitCode, Output());
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
        if (_dataDir.Length > 0 && Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
