using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Godo.Agent.Assembly;
using Godo.Agent.Docker;
using Godo.Agent.Proc;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using Godo.Messages.Supervision;

namespace Godo.Agent.Hosting;

public static class AgentExtensions
{
    /// <summary>
    /// The agent's actors: the tree (with /proc reconciliation on a live host), the serial router with its pooled
    /// assemblers, and Docker metadata. The record source itself runs outside Akka (<see cref="AuditSourceService"/>).
    /// </summary>
    public static AkkaConfigurationBuilder AddAgent(this AkkaConfigurationBuilder builder, AgentSettings settings, PipelineStats stats)
    {
        var reader = new ProcSnapshotReader();
        builder.AddAgentHocon()
            .AddProcessTreeActor(new TreeActorSettings
            {
                HostName = settings.HostName,
                Live = settings.IsLive,
                SweepInterval = settings.IsLive ? TimeSpan.FromMilliseconds(100) : null,
                ReadProc = settings.IsLive ? reader.ReadAll : null,
                ReconcileInterval = settings.IsLive && settings.ReconcileInterval > TimeSpan.Zero ? settings.ReconcileInterval : null,
                Caps = settings.Caps,
                Users = settings.IsLive ? new UserNames() : null,
            }, stats)
            // A live host sends records a few at a time: router and assemblers share the tree's thread, so a batch goes
            // through the whole pipeline with one wake-up instead of one per stage (wake-ups were most of a storm's cost).
            .AddSerialRouter(settings.Assembly, stats, tick: TimeSpan.FromMilliseconds(100),
                dispatcher: settings.IsLive ? ProcessTreeActorExtensions.Dispatcher : null)
            // Watched when the process runs a CriticalWatcher (AddCriticalWatch): the pipeline is nothing without them.
            .WatchCritical<ProcessTreeActor>("the process tree")
            .WatchCritical<SerialRouterActor>("the serial router");
        if (settings.Docker && settings.IsLive)
            builder.AddDockerMetadata(new DockerMetadataClientOptions { SocketPath = settings.DockerSocket });
        return builder;
    }

    /// <summary>
    /// The agent's record source beside the actors (<see cref="AuditSourceService"/>: netlink, a file or stdin), with
    /// the settings and pipeline counters it shares with <see cref="AddAgent"/>. Every host of an agent calls both.
    /// </summary>
    public static IServiceCollection AddAuditSource(this IServiceCollection services, AgentSettings settings, PipelineStats stats)
    {
        services.AddSingleton(settings);
        services.AddSingleton(stats);
        // A source that cannot start (no capability, another agent holds the kernel) throws out of the host's start to
        // the command, which says so in one line; the host's own "failed to start" error would repeat it with a stack
        // trace. Its critical messages (a background service stopping the host) still show.
        services.AddLogging(l => l.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical));
        return services.AddHostedService<AuditSourceService>();
    }
}
