using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Assembly;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using Godo.Agent.Tree;
using Godo.Messages.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
    public static async Task<HostTree> RunAsync(Stream input, ReplayOptions options, PipelineStats stats, CancellationToken ct = default)
    {
        using var host = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(services => services.AddAkka("godo-replay", b => b
                .AddAgentHocon()
                .AddProcessTreeActor(new TreeActorSettings { HostName = options.HostName, UntilMs = options.UntilMs, Caps = options.Caps }, stats)
                .AddSerialRouter(options.Assembly, stats)))
            .Build();
        // Reading and parsing start together with the actor system, not after it: on two cores they overlap.
        var starting = host.StartAsync(ct);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        var router = starting.ContinueWith(t =>
        {
            t.GetAwaiter().GetResult(); // a failed start fails the reader too
            return registry.Get<SerialRouterActor>();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        // Records of one event can trail its first by up to the event timeout, so read a little past --until.
        var feeder = new AuditStreamFeeder(router, stats) { StopAfterMs = options.UntilMs + options.Assembly.EventTimeoutMs + 5000 };
        var reading = feeder.RunAsync(input, ct);
        try
        {
            await starting;
            await reading;
            var tree = registry.Get<ProcessTreeActor>();
            await tree.Ask<TreeProtocol.Drained>(new TreeProtocol.WaitForDrain(), Timeout.InfiniteTimeSpan, ct);
            return await tree.Ask<HostTree>(new TreeProtocol.GetTree(options.UntilMs), TimeSpan.FromMinutes(1), ct);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
