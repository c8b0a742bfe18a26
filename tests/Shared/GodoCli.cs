using System.Diagnostics;

namespace Godo.Tests.Shared;

/// <summary>`godo ARGS` run to its end as a separate process (the godo.dll built beside the tests), without the caller's token.</summary>
public static class GodoCli
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "godo.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("GODO_API_TOKEN");
        if (!psi.Environment.ContainsKey("GODO_DATA")) psi.Environment["GODO_DATA"] = TestData.NewDir(); // its own journal, never /var/lib/godo
        psi.Environment.Remove("GODO_CA");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException($"godo {string.Join(' ', args)} did not end in 30 s: {await stderr}"); }
        return (p.ExitCode, await stdout, await stderr);
    }
}
