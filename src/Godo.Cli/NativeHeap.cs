using System.Runtime;
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
    // When the trim looks again, each after the one before: at once, then 30 s, 1, 2 and 4 min later.
    private static readonly int[] RecheckSeconds = [0, 30, 60, 120, 240];

    /// <summary>At most two malloc arenas for the threads started from now on (the runtime's own are few and started).</summary>
    public static void LimitArenas() => Try(() => MallOpt(M_ARENA_MAX, 2));

    /// <summary>
    /// Gives the memory malloc holds free back to the system, <paramref name="after"/> from now (start-up over), and
    /// unmaps the clean file pages start-up touched (see <see cref="MappedFiles"/>).
    /// </summary>
    /// <remarks>
    /// Whenever the JIT runs it faults most of libclrjit back in (about 4 MiB) with the metadata and code it reads, so
    /// the trim waits until the JIT has been quiet for a while (start-up stretches past <paramref name="after"/> on a
    /// loaded machine, and an agent connects to its aggregators after it), and runs again if the JIT ran during it.
    /// Then it looks again 30 s, 1, 2 and 4 min after each look, and trims again only if code was compiled since (a
    /// path first run at rest: the first reconciliation, a reconnect). It runs on a thread of its own that sleeps in
    /// between, not as async code: the state machines of async methods are generic instances ReadyToRun leaves to the
    /// JIT, so the trim compiled ~40 methods of its own and ran three passes (measured on an idle agent: 155 ms of CPU;
    /// now one pass, 45-50 ms, most of it the kernel writing smaps).
    /// </remarks>
    public static void TrimAfter(TimeSpan after) =>
        new Thread(() => TrimLoop(after)) { IsBackground = true, Name = "godo-trim" }.Start();

    private static void TrimLoop(TimeSpan after)
    {
        Thread.Sleep(after);
        Try(() => MallocTrim(0));
        if (!MappedFiles.Enabled) return;
        try
        {
            MappedFiles.Prepare();
            long trimmedAt = -1;
            foreach (var next in RecheckSeconds)
            {
                Thread.Sleep(TimeSpan.FromSeconds(next));
                if (JitInfo.GetCompiledMethodCount() == trimmedAt) continue;
                WhileTheJitRuns(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
                for (int pass = 0; pass < 3; pass++)
                {
                    long before = JitInfo.GetCompiledMethodCount();
                    MappedFiles.Trim(TimeSpan.FromSeconds(1));
                    trimmedAt = JitInfo.GetCompiledMethodCount();
                    if (trimmedAt == before) break;
                }
                Try(() => MallocTrim(0));
            }
        }
        // No /proc (or an smaps of another format): nothing trimmed, nothing lost.
        catch (IOException) { }
        catch (FormatException) { }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }

    /// <summary>Returns once no method was compiled for <paramref name="quiet"/>, or after <paramref name="atMost"/>.</summary>
    private static void WhileTheJitRuns(TimeSpan quiet, TimeSpan atMost)
    {
        var deadline = DateTime.UtcNow + atMost;
        long count = JitInfo.GetCompiledMethodCount();
        while (DateTime.UtcNow < deadline)
        {
            Thread.Sleep(quiet);
            long now = JitInfo.GetCompiledMethodCount();
            if (now == count) return;
            count = now;
        }
    }

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
