using System.CommandLine;
using System.Text.Json;
using Godo.Agent.Pipeline;
using Godo.Agent.Replay;
using Godo.Cli.Output;
using Godo.Cli.Settings;
using Godo.Messages.Model;

namespace Godo.Cli.Commands;

/// <summary>`godo replay FILE|- [--until TIME] [--json]`: the tree of a host at a moment, rebuilt from its audit log.</summary>
public static class ReplayCommand
{
    /// <summary>
    /// Whether start-up overlaps the work (the actor system started in Main, the output's code compiled meanwhile); on
    /// unless GODO_REPLAY_OVERLAP=0, so the same binary can be timed both ways (bench/replay.sh, AB=1).
    /// </summary>
    public static readonly bool Overlap = Environment.GetEnvironmentVariable("GODO_REPLAY_OVERLAP") != "0";

    /// <summary>A replay, not a request for its help: its actor system starts before anything else (<see cref="StartEarly"/>).</summary>
    public static bool IsReplay(string[] args) => args is ["replay", ..] && !args.Any(a => a is "-h" or "--help" or "-?");

    /// <summary>First thing in Main for a replay (both binaries: `godo` and the native `godo-replay`).</summary>
    public static void StartEarly()
    {
        ReplayTimeline.Mark("Main");
        // No code generated at run time: Akka compiles a regular expression for HOCON durations and an expression tree per
        // actor type to match messages, each a DynamicMethod for the JIT. A replay reads a few durations and routes a few
        // thousand batches, so the interpreter costs less than compiling (5 % of a short replay's CPU). Set before anything
        // reads RuntimeFeature.IsDynamicCodeSupported, which caches it. (Native code has no JIT: there it is off anyway.)
        AppContext.SetSwitch("System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported", false);
        if (Overlap) ReplayRunner.StartEarly();
    }

    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "auditd log (raw format) to replay, or - for standard input" };
        var until = new Option<string?>("--until") { Description = "show the tree as of this event time (inclusive): SECONDS.MILLIS as in the log, or ISO-8601; default: the end of the log" };
        var json = new Option<bool>("--json") { Description = "print one JSON document (the schema of the HTTP API) instead of a tree" };
        var hostName = new Option<string?>("--host-name") { Description = "host name to report (default: this machine's name)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "no progress on standard error" };
        var argvCap = ByteSize.ArgvCapOption();
        var cmd = new Command("replay", "Rebuild a host's process tree from an audit log, as it stood at a given moment.")
        {
            file, until, json, hostName, quiet, argvCap,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            ReplayTimeline.Mark("command line parsed");
            if (Overlap) TreeOutputWarmUp.Start(parse.GetValue(json));
            var path = parse.GetValue(file)!;
            long? untilMs = parse.GetValue(until) is { } u ? EventTime.ParseMs(u, "--until") : null;
            // The agent's setting (flag, GODO_ARGV_CAP, appsettings.json): a replay keeps what the agent keeps.
            var config = GodoConfiguration.Build(new SettingsLayer().Set("Agent:ArgvCap", parse.GetValue(argvCap)));
            var caps = ByteSize.ArgvCap(config["Agent:ArgvCap"], "--argv-cap");
            Stream input;
            if (path == "-") input = Console.OpenStandardInput();
            else
            {
                if (Directory.Exists(path)) throw new UsageException($"{path}: is a directory, not an audit log");
                if (!File.Exists(path)) throw new UsageException($"{path}: no such file");
                try { input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan); }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException) { throw new UsageException($"{path}: cannot read: {e.Message}"); }
            }
            await using var _ = input;
            var stats = new PipelineStats();
            using var progress = parse.GetValue(quiet) ? null : Progress.Start(stats, input);
            var tree = await ReplayRunner.RunAsync(input, new ReplayOptions { HostName = parse.GetValue(hostName) ?? Environment.MachineName, UntilMs = untilMs, Caps = caps }, stats, ct);
            progress?.Dispose();
            // An empty file, random bytes or /etc/shadow would otherwise give an empty tree "as of 1970-01-01".
            if (Interlocked.Read(ref stats.Records) == 0)
                throw new UsageException($"no audit records in {(path == "-" ? "standard input" : path)}" + (stats.Malformed > 0 ? $" ({stats.Malformed} lines that are not audit records)" : ""));
            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(tree, ReplayJsonContext.Default.HostTree));
            else
            {
                Console.Out.Write(TreeRenderer.Render(tree));
                if (stats.Malformed > 0) Console.Error.WriteLine($"godo: {stats.Malformed} malformed lines skipped (see --json stats)");
            }
            Console.Out.Flush();
            ReplayTimeline.Mark("tree written");
            ReplayTimeline.WriteTo(Console.Error);
            return CommandLine.Ok;
        });
        return cmd;
    }
}
