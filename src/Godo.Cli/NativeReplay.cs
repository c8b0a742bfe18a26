using System.Collections;
using System.Runtime.InteropServices;

namespace Godo.Cli;

/// <summary>
/// An installed `godo replay` (the packages' single-file `godo`) hands itself over to the native replay beside it
/// (`godo-replay`, src/Godo.Cli.Replay) with execve: the same process, arguments and standard streams, without the
/// managed replay's start-up. The development launcher runs the native one itself. GODO_REPLAY_NATIVE=0 keeps the
/// managed replay; so does any failure here, as nothing has been read or printed yet.
/// </summary>
internal static class NativeReplay
{
    public static void TryExec(string[] args)
    {
        if (Environment.GetEnvironmentVariable("GODO_REPLAY_NATIVE") == "0") return;
        // `dotnet godo.dll` (the tests, the launcher's managed replay) is not the packaged binary: only an apphost named godo.
        if (Environment.ProcessPath is not { } self || Path.GetFileName(self) != "godo") return;
        var native = Path.Combine(Path.GetDirectoryName(self)!, "godo-replay");
        if (!File.Exists(native)) return;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) env[k] = v;
        // The young generation and background GC the launcher gives a native replay (see ./godo); .NET keeps its own
        // copy of the environment, so the new image gets it explicitly.
        env.TryAdd("DOTNET_GCgen0size", "C00000");
        env.TryAdd("DOTNET_gcConcurrent", "1");
        string?[] argv = [native, .. args, null];
        string?[] envp = [.. env.Select(e => $"{e.Key}={e.Value}"), null];
        try { Execve(native, argv, envp); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(string path, string?[] argv, string?[] envp);
}
