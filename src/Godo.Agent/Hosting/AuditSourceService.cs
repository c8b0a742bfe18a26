using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Assembly;
using Godo.Agent.Netlink;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using Godo.Agent.Tree;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Agent.Hosting;

/// <summary>
/// Chooses and starts the agent's record source beside the actors: the kernel (<see cref="NetlinkSource"/>), or a
/// file / stdin reader (<see cref="AuditStreamFeeder"/>); stops it with the host.
/// </summary>
public sealed class AuditSourceService(
    AgentSettings settings, PipelineStats stats, IRequiredActor<SerialRouterActor> router, IRequiredActor<ProcessTreeActor> tree,
    ILogger<AuditSourceService> log, IHostApplicationLifetime lifetime) : IHostedService
{
    private NetlinkSource? _netlink;
    private readonly CancellationTokenSource _stop = new();
    private Task? _reading;

    public async Task StartAsync(CancellationToken ct)
    {
        var routerRef = await router.GetAsync(ct);
        var treeRef = await tree.GetAsync(ct);
        switch (settings.Source)
        {
            case SourceKind.Netlink:
                StartNetlink(routerRef, treeRef);
                break;
            case SourceKind.File:
            {
                Stream input = settings.Follow
                    ? new FollowingFileStream(settings.FilePath!)
                    : new FileStream(settings.FilePath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
                StartFeeder(input, routerRef);
                break;
            }
            case SourceKind.Stdin:
                StartFeeder(Console.OpenStandardInput(), routerRef);
                break;
        }
    }

    private void StartFeeder(Stream input, IActorRef routerRef)
    {
        var feeder = new AuditStreamFeeder(routerRef, stats) { PaceByEventTime = settings.PaceByEventTime };
        _reading = feeder.RunAsync(input, _stop.Token).ContinueWith(t =>
        {
            input.Dispose();
            // Stopped (SIGTERM, Ctrl-C): the read was cancelled on purpose, nothing to report.
            if (_stop.IsCancellationRequested && (t.IsCanceled || t.Exception?.GetBaseException() is OperationCanceledException)) return;
            if (t.IsFaulted) log.LogError(t.Exception!.GetBaseException(), "reading {Source} failed", settings.SourceText);
            else log.LogInformation("end of {Source}: the tree stays as it is until godo is stopped", settings.SourceText);
        });
    }

    private void StartNetlink(IActorRef routerRef, IActorRef treeRef)
    {
        var session = new AuditSessionOptions
        {
            Mode = settings.AuditMode,
            BacklogLimit = settings.BacklogLimit,
            BacklogWaitTime = settings.BacklogWaitTime,
            StateFilePath = settings.AuditStateFile,
            Log = m => log.LogInformation("audit: {Message}", m),
        };
        _netlink = new NetlinkSource(session, settings.RecordPath, settings.ExitSource, routerRef, treeRef, stats, log, e =>
        {
            log.LogCritical(e, "the audit receiver failed; stopping");
            lifetime.StopApplication();
        });
        _netlink.Start();
    }

    public async Task StopAsync(CancellationToken ct)
    {
        _stop.Cancel();
        _netlink?.Dispose();
        if (_reading is not null) await Task.WhenAny(_reading, Task.Delay(2000, CancellationToken.None));
    }
}
