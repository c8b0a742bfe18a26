using System.Diagnostics;
using System.Text;

namespace Godo.Cli.Tests;

/// <summary>A `godo` process kept while it runs: its standard output as bytes, its standard error as text, signals.</summary>
internal sealed class RunningGodo : IDisposable
{
    private readonly Process _process;
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
        if (!psi.Environment.ContainsKey("GODO_DATA")) psi.Environment["GODO_DATA"] = TestData.NewDir(); // its own journal, never /var/lib/godo
        return new RunningGodo(Process.Start(psi)!);
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
        _process.Dispose();
    }
}
