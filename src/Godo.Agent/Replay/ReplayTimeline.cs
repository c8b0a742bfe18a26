using System.Diagnostics;

namespace Godo.Agent.Replay;

/// <summary>
/// Where a replay's wall time goes, for `GODO_REPLAY_TIMING=1`: the first time each stage is reached (from the launch
/// of the process, or of the launcher when it passes `GODO_LAUNCH_NS`) and the process's CPU by then, printed on
/// standard error at the end, with the JIT's methods and time, the bytes allocated, the collections and their pauses by then. Off, a mark costs one static read.
/// </summary>
public static class ReplayTimeline
{
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("GODO_REPLAY_TIMING") == "1";

    private static readonly object Gate = new();
    private static readonly List<(string Stage, long Ticks, TimeSpan Cpu, int Thread, long Jitted, TimeSpan JitTime, long Allocated, int Gcs, TimeSpan GcPause)> Marks = new();
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>Notes the first time <paramref name="stage"/> is reached; later calls for it are ignored.</summary>
    public static void Mark(string stage)
    {
        if (!Enabled) return;
        var ticks = Clock.ElapsedTicks;
        var cpu = Environment.CpuUsage.TotalTime;
        // The JIT's share of start-up: methods compiled so far (ReadyToRun code is not counted) and the time it took.
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTime = System.Runtime.JitInfo.GetCompilationTime();
        var allocated = GC.GetTotalAllocatedBytes();
        var gcs = GC.CollectionCount(0);
        // Every collection stops all threads (workstation GC): its pauses are wall time no core does the replay's work.
        var pause = GC.GetTotalPauseDuration();
        lock (Gate)
        {
            foreach (var m in Marks) if (m.Stage == stage) return;
            Marks.Add((stage, ticks, cpu, Environment.CurrentManagedThreadId, jitted, jitTime, allocated, gcs, pause));
        }
    }

    public static void WriteTo(TextWriter error)
    {
        if (!Enabled) return;
        var launchedMsAgo = LaunchedMsAgo();
        error.WriteLine($"godo replay timing (ms since {(launchedMsAgo.FromLauncher ? "the launcher started" : "the process started, 10 ms steps")}; CPU of the process by then):");
        lock (Gate)
            foreach (var (stage, ticks, cpu, thread, jitted, jitTime, allocated, gcs, pause) in Marks)
            {
                var ms = launchedMsAgo.Ms - (Clock.ElapsedTicks - ticks) * 1000.0 / Stopwatch.Frequency;
                error.WriteLine($"  {ms,8:F1} ms  cpu {cpu.TotalMilliseconds,7:F0} ms  jit {jitted,5} methods {jitTime.TotalMilliseconds,5:F0} ms  allocated {allocated / 1048576.0,7:F1} MiB  {gcs,4} GCs {pause.TotalMilliseconds,5:F0} ms paused  thread {thread,3}  {stage}");
            }
    }

    /// <summary>How long ago (ms) the launcher (GODO_LAUNCH_NS, wall clock) or else the process (/proc: clock ticks since boot) started.</summary>
    private static (double Ms, bool FromLauncher) LaunchedMsAgo()
    {
        if (long.TryParse(Environment.GetEnvironmentVariable("GODO_LAUNCH_NS"), out var launchNs))
            return ((DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 1e4 - launchNs / 1e6, true);
        // Field 22 of /proc/self/stat (after the parenthesised name) is the start time in clock ticks (100 a second) since boot.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var startedS = long.Parse(fields[19]) / 100.0;
        var uptimeS = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return ((uptimeS - startedS) * 1000, false);
    }
}
