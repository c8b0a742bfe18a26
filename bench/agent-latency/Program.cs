// How long after a `docker exec` does the process show up in the agent's tree?
// Hosts the live agent in this process (composed like `godo agent`: Akka + AddAgent + AuditSourceService, netlink),
// starts a container, then for each of N execs (`docker exec -d C sleep K`) polls every 10 ms both /proc (a process
// with that exact command line: the kernel sets it during execve) and the agent's tree (GetTree), and reports, per
// exec and as median/max: docker exec -> /proc, docker exec -> tree, and /proc -> tree (the agent's own lag, ±10 ms).
// With --exits: how long after a SIGTERM (sent with kill(2) to a `docker exec`'d sleep) is the process gone from the
// agent's tree (polled every millisecond), next to the time until /proc no longer shows it running.
// Usage: AgentLatency [COUNT] [--exits]   (root; run by bench/agent-figures.sh and bench/deaths.sh, which hold the audit lock)
using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Hosting;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using Godo.Messages.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var count = args.Length > 0 && args[0] != "--exits" ? int.Parse(args[0]) : 20;
var exits = args.Contains("--exits");
var period = TimeSpan.FromMilliseconds(10);

var settings = new AgentSettings
{
    HostName = "bench",
    AuditStateFile = Path.Combine(Path.GetTempPath(), $"godo-latency-{Environment.ProcessId}.json"),
};
var stats = new PipelineStats();
using var host = new HostBuilder()
    .ConfigureLogging(l => l.ClearProviders().AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
    .ConfigureServices(s =>
    {
        s.AddAkka("godo-latency", (b, _) => b.AddAgent(settings, stats));
        s.AddAuditSource(settings, stats);
    })
    .Build();
await host.StartAsync();
var tree = await host.Services.GetRequiredService<IRequiredActor<ProcessTreeActor>>().GetAsync();

string Docker(params string[] a)
{
    var psi = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var x in a) psi.ArgumentList.Add(x);
    using var p = Process.Start(psi)!;
    var o = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"docker {string.Join(' ', a)}: {p.StandardError.ReadToEnd()}");
    return o.Trim();
}

static bool ProcHas(byte[] cmdline)
{
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        var name = Path.GetFileName(dir);
        if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
        try
        {
            var bytes = File.ReadAllBytes(dir + "/cmdline");
            if (bytes.AsSpan().SequenceEqual(cmdline)) return true;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
    return false;
}

static double Median(List<double> v)
{
    var s = v.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

var name = $"godolive-latency-{Environment.ProcessId}";
var id = Docker("run", "-d", "--network", "none", "--name", name, "godo/busybox:1", "sleep", "100000");
var toProc = new List<double>();
var toTree = new List<double>();
var lag = new List<double>();
try
{
    await Task.Delay(2000); // let the start settle
    if (exits)
    {
        await MeasureExits();
        return;
    }
    Console.WriteLine($"{"exec",4} {"exec->/proc ms",15} {"exec->tree ms",14} {"/proc->tree ms",15}");
    for (var i = 0; i < count; i++)
    {
        var arg = (700000 + i).ToString();
        var cmdline = Encoding.ASCII.GetBytes($"sleep\0{arg}\0");
        var sw = Stopwatch.StartNew();
        using var exec = Process.Start(new ProcessStartInfo("docker", ["exec", "-d", id, "sleep", arg]))!;
        double? tProc = null, tTree = null;
        var next = TimeSpan.Zero;
        while ((tProc is null || tTree is null) && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            var now = sw.Elapsed.TotalMilliseconds;
            if (tProc is null && ProcHas(cmdline)) tProc = now;
            if (tTree is null)
            {
                now = sw.Elapsed.TotalMilliseconds;
                var t = await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(5));
                if (t.Processes.Any(p => p.Container == id && p.Argv.Length == 2 && p.Argv[0] == "sleep" && p.Argv[1] == arg)) tTree = now;
            }
            next += period;
            var wait = next - sw.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
        }
        await exec.WaitForExitAsync();
        if (tProc is null || tTree is null) throw new TimeoutException($"exec {i}: /proc {tProc}, tree {tTree} after 10 s");
        toProc.Add(tProc.Value); toTree.Add(tTree.Value); lag.Add(Math.Max(0, tTree.Value - tProc.Value));
        Console.WriteLine($"{i + 1,4} {tProc,15:F0} {tTree,14:F0} {tTree - tProc,15:F0}");
        await Task.Delay(200);
    }
    Console.WriteLine($"over {count} execs (polling every {period.TotalMilliseconds:F0} ms):");
    Console.WriteLine($"  docker exec -> in /proc:        median {Median(toProc),5:F0} ms, max {toProc.Max(),5:F0} ms");
    Console.WriteLine($"  docker exec -> in godo's tree:  median {Median(toTree),5:F0} ms, max {toTree.Max(),5:F0} ms");
    Console.WriteLine($"  in /proc -> in godo's tree:     median {Median(lag),5:F0} ms, max {lag.Max(),5:F0} ms");
    var s = (await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(5))).Stats;
    Console.WriteLine($"  kernel lost {s.GetValueOrDefault("kernelLost")}, overflows {s.GetValueOrDefault("overflows")}, corrections {s.GetValueOrDefault("corrections")}");
}
finally
{
    try { Docker("rm", "-f", id); } catch (Exception e) { Console.Error.WriteLine(e.Message); }
    await host.StopAsync();
}

// SIGTERM -> gone from the tree (the process events connector's path: audit sees no syscall for this death).
async Task MeasureExits()
{
    var toGone = new List<double>();
    var procGone = new List<double>();
    Console.WriteLine($"{"kill",4} {"TERM->/proc ms",15} {"TERM->tree ms",14}");
    for (var i = 0; i < count; i++)
    {
        var arg = (800000 + i).ToString();
        Docker("exec", "-d", id, "sleep", arg);
        int pid = 0;
        var wait = Stopwatch.StartNew();
        while (pid == 0 && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            var t = await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(5));
            pid = t.Processes.FirstOrDefault(p => p.Container == id && p.Argv.SequenceEqual(["sleep", arg]))?.Pid ?? 0;
            if (pid == 0) await Task.Delay(10);
        }
        if (pid == 0) throw new TimeoutException($"exec {i}: sleep {arg} not in the tree after 10 s");
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        if (Kill(pid, 15) != 0) throw new InvalidOperationException($"kill({pid}, SIGTERM) failed");
        double? tProc = null, tTree = null;
        while ((tProc is null || tTree is null) && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (tProc is null && !Running(pid)) tProc = sw.Elapsed.TotalMilliseconds;
            if (tTree is null)
            {
                var now = sw.Elapsed.TotalMilliseconds;
                var t = await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(5));
                if (!t.Processes.Any(p => p.Pid == pid)) tTree = now;
            }
            await Task.Delay(1);
        }
        if (tProc is null || tTree is null) throw new TimeoutException($"kill {i}: /proc {tProc}, tree {tTree} after 10 s");
        procGone.Add(tProc.Value); toGone.Add(tTree.Value);
        Console.WriteLine($"{i + 1,4} {tProc,15:F1} {tTree,14:F1}");
    }
    Console.WriteLine($"over {count} SIGTERMs (polling every ms):");
    Console.WriteLine($"  SIGTERM -> not running in /proc:  median {Median(procGone),6:F1} ms, max {procGone.Max(),6:F1} ms");
    Console.WriteLine($"  SIGTERM -> gone from godo's tree: median {Median(toGone),6:F1} ms, max {toGone.Max(),6:F1} ms");
    var s = (await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(5))).Stats;
    Console.WriteLine($"  procEvents {s.GetValueOrDefault("procEvents")}, kernel lost {s.GetValueOrDefault("kernelLost")}, corrections {s.GetValueOrDefault("corrections")}");
}

static bool Running(int pid)
{
    try
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var state = stat[(stat.LastIndexOf(')') + 2)..][0];
        return state is not ('Z' or 'X');
    }
    catch (IOException) { return false; }
}

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
static extern int Kill(int pid, int signal);
