using System.Runtime.InteropServices;

namespace Godo.Cli;

/// <summary>
/// glibc's malloc, as the runtime uses it underneath a long-running agent or aggregator. Start-up (type loading, the
/// JIT, Akka's and the host's set-up) leaves megabytes freed but still held by malloc: given back once start-up is
/// over, an idle agent's RSS falls by about 7 MiB (measured: [heap] 9.5 to 2.4 MiB). And every thread that mallocs
/// gets an arena of its own (up to 8 per core), each holding memory of its own: two are plenty for what is not managed.
/// </summary>
internal static class NativeHeap
{
    private const int M_ARENA_MAX = -8;

    /// <summary>At most two malloc arenas for the threads started from now on (the runtime's own are few and started).</summary>
    public static void LimitArenas() => Try(() => MallOpt(M_ARENA_MAX, 2));

    /// <summary>
    /// Gives the memory malloc holds free back to the system, <paramref name="after"/> from now (start-up over), and
    /// unmaps the clean file pages start-up touched (see <see cref="MappedFiles"/>).
    /// </summary>
    public static void TrimAfter(TimeSpan after) =>
        _ = Task.Run(async () =>
        {
            await Task.Delay(after);
            Try(() => MallocTrim(0));
            if (!MappedFiles.Enabled) return;
            // No /proc (or an smaps of another format): nothing trimmed, nothing lost.
            try { await MappedFiles.TrimAsync(TimeSpan.FromSeconds(1)); }
            catch (IOException) { }
            catch (FormatException) { }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
        });

    private static void Try(Func<int> call)
    {
        // Not glibc (or not Linux): nothing to tune.
        try { call(); }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
