using System.Diagnostics;

namespace Godo.Cli.Tests;

/// <summary>`godo ARGS` as a separate process (the godo.dll built beside the tests), as a user runs it: exit code, stdout, stderr.</summary>
public static class GodoCli
{
    private static readonly string GodoDll = Path.Combine(AppContext.BaseDirectory, "godo.dll");

    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(GodoDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GODO_API_TOKEN");
        if (!psi.Environment.ContainsKey("GODO_DATA")) psi.Environment["GODO_DATA"] = TestData.NewDir(); // its own journal, never /var/lib/godo
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
