using Akka.Actor;
using Akka.Configuration;
using Godo.Agent.Assembly;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using Godo.Agent.Tree;
using Godo.Messages.Model;

namespace Godo.Agent.Replay;

public sealed record ReplayOptions
{
    public required string HostName { get; init; }
    /// <summary>Event time (ms since the epoch) to stop at, inclusive; null replays everything.</summary>
    public long? UntilMs { get; init; }
    public AssemblyOptions Assembly { get; init; } = new();
    /// <summary>What the tree keeps of each process: the agents' and aggregators' caps, so their trees compare equal.</summary>
    public ProcessCaps Caps { get; init; } = ProcessCaps.Default;
}

/// <summary>
/// `godo replay`: an audit log through the same actor pipeline as the live agent (router, pooled assemblers,
/// tree actor), then the tree as it stood at the requested moment.
/// </summary>
public static class ReplayRunner
{
    /// <summary>
    /// A replay is a batch job: no log output to mix with the tree on stdout, and no coordinated shutdown (its phases
    /// and timers cost more start-up work than the two actors it would stop).
    /// </summary>
    private static readonly Config ReplayHocon = ConfigurationFactory.ParseString("""
        akka.loglevel = OFF
        akka.stdout-loglevel = OFF
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """);

    private static Task<ActorSystem>? _early;

    /// <summary>
    /// Starts the actor system of the next <see cref="RunAsync"/> now, on the pool: `godo replay` calls it first thing in
    /// Main, so the system's start-up (the longest stretch before the first record reaches the router) overlaps the
    /// command line, the settings and opening the log instead of following them. The per-record code is compiled beside
    /// it (<see cref="PipelineWarmUp"/>), not once the first records reach the router.
    /// </summary>
    public static void StartEarly()
    {
        if (_early is not null) return; // once, from Main
        _early = StartSystem();
        if (PipelineWarmUp.Enabled) PipelineWarmUp.Start();
    }

    // The system is a plain one, without the generic host the agent runs in: a replay needs neither its services nor its
    // lifetime, and building them was a fifth of the start-up.
    private static Task<ActorSystem> StartSystem() => Task.Run(() =>
    {
        ReplayTimeline.Mark("actor system: starting");
        var system = ActorSystem.Create("godo-replay", ReplayHocon.WithFallback(AgentHocon.Config));
        ReplayTimeline.Mark("actor system: created");
        return system;
    });

    public static async Task<HostTree> RunAsync(Stream input, ReplayOptions options, PipelineStats stats, CancellationToken ct = default)
    {
        // Reading and parsing start together with the actor system, not after it: on two cores they overlap.
        var systemStarting = Interlocked.Exchange(ref _early, null) ?? StartSystem();
        var starting = systemStarting.ContinueWith(started =>
        {
            var system = started.GetAwaiter().GetResult();
            var tree = system.ActorOf(ProcessTreeActor.Props(new TreeActorSettings { HostName = options.HostName, UntilMs = options.UntilMs, Caps = options.Caps }, stats)
                .WithDispatcher(ProcessTreeActorExtensions.Dispatcher), ProcessTreeActorExtensions.ActorName);
            var router = system.ActorOf(SerialRouterActor.Props(options.Assembly, tree, stats), SerialRouterActorExtensions.ActorName);
            ReplayTimeline.Mark("actor system: pipeline created");
            return (system, tree, router);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var router = starting.ContinueWith(t => t.GetAwaiter().GetResult().router, // a failed start fails the reader too
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        // Records of one event can trail its first by up to the event timeout, so read a little past --until.
        var feeder = new ChunkedLogFeeder(router, stats) { StopAfterMs = options.UntilMs + options.Assembly.EventTimeoutMs + 5000 };
        var reading = feeder.RunAsync(input, ct);
        ActorSystem? started = null;
        try
        {
            var (system, tree, _) = await starting;
            started = system;
            await reading;
            ReplayTimeline.Mark("log read and handed on");
            await tree.Ask<TreeProtocol.Drained>(new TreeProtocol.WaitForDrain(), Timeout.InfiniteTimeSpan, ct);
            ReplayTimeline.Mark("tree caught up");
            var result = await tree.Ask<HostTree>(new TreeProtocol.GetTree(options.UntilMs), TimeSpan.FromMinutes(1), ct);
            ReplayTimeline.Mark("tree taken");
            return result;
        }
        finally
        {
            if (started is not null) await started.Terminate();
            ReplayTimeline.Mark("actor system: terminated");
        }
    }
}
