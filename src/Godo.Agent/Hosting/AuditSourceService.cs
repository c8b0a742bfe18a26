using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Assembly;
using Godo.Agent.Audit;
using Godo.Agent.Netlink;
using Godo.Agent.Proc;
using Godo.Agent.Replay;
using Godo.Agent.Sources;
using Godo.Agent.Tree;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Agent.Hosting;

/// <summary>
/// Runs the agent's record source beside the actors: the netlink receiver on its own thread (after the /proc
/// bootstrap), or a file / stdin reader. On stop it gives the kernel back the audit state it found.
/// </summary>
public sealed class AuditSourceService(
    AgentSettings settings, PipelineStats stats, IRequiredActor<SerialRouterActor> router, IRequiredActor<ProcessTreeActor> tree,
    ILogger<AuditSourceService> log, IHostApplicationLifetime lifetime) : IHostedService
{
    private AuditKernelSession? _session;
    private NetlinkAuditReceiver? _receiver;
    private Timer? _flusher;
    private RecordTap? _tap;
    private ProcExitSource? _procExits;
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
            if (t.IsFaulted) log.LogError(t.Exception!.GetBaseException(), "reading {Source} failed", settings.SourceText);
            else log.LogInformation("end of {Source}: the tree stays as it is until godo is stopped", settings.SourceText);
        });
    }

    private void StartNetlink(IActorRef routerRef, IActorRef treeRef)
    {
        _session = AuditKernelSession.Start(new AuditSessionOptions
        {
            Mode = settings.AuditMode,
            BacklogLimit = settings.BacklogLimit,
            BacklogWaitTime = settings.BacklogWaitTime,
            StateFilePath = settings.AuditStateFile,
            Log = m => log.LogInformation("audit: {Message}", m),
        });
        log.LogInformation("audit: {Mode} mode, {Rules} rules, {Stale} stale godo rules removed",
            _session.Mode, _session.Rules.Count, _session.StaleRulesRemoved);
        // Opened before the bootstrap, so no exit after it is missed; read after it, so none comes before the seed.
        if (settings.ExitSource == ExitSourceMode.Auto) _procExits = ProcExitSource.TryOpen(log);
        else log.LogInformation("exit source: audit only (--exit-source audit)");
        // Bootstrap: every running process first; then a reconciliation right after receiving starts covers the gap.
        treeRef.Tell(new TreeProtocol.Seed(new ProcSnapshotReader().ReadAll()));
        var batcher = new RecordBatcher(routerRef, stats, 256);
        var arena = new BodyArena(); // used only on the receiver's thread
        if (settings.RecordPath is { } recordPath)
        {
            _tap = new RecordTap(recordPath);
            log.LogInformation("recording every audit record received to {Path}", recordPath);
        }
        var tap = _tap;
        _receiver = _session.CreateReceiver((type, payload) =>
        {
            Interlocked.Increment(ref stats.Lines);
            tap?.Write(type, payload);
            var why = AuditLineParser.TryParsePayload(type, payload, out var rec, arena);
            if (why == MalformedReason.None) batcher.Add(rec);
            else if (why != MalformedReason.Empty) stats.CountMalformed(why);
        });
        _receiver.LossDetected += loss =>
        {
            if (loss.Kind == AuditLossKind.SocketOverflow) Interlocked.Increment(ref stats.Overflows);
            else Interlocked.Exchange(ref stats.KernelLost, loss.Total);
            log.LogWarning("audit records lost ({Kind}, {Count}); reconciling with /proc", loss.Kind, loss.Count);
            treeRef.Tell(new TreeProtocol.RequestReconcile($"loss: {loss.Kind} {loss.Count}"));
        };
        _receiver.StatusPolled += s => Interlocked.Exchange(ref stats.Backlog, s.Backlog);
        _receiver.Faulted += e =>
        {
            log.LogCritical(e, "the audit receiver failed; stopping");
            lifetime.StopApplication();
        };
        _flusher = new Timer(_ => batcher.FlushIfIdle(), null, 10, 10);
        _receiver.Start();
        _procExits?.Start(treeRef, stats, log);
        treeRef.Tell(new TreeProtocol.RequestReconcile("startup"));
    }

    public async Task StopAsync(CancellationToken ct)
    {
        _stop.Cancel();
        _flusher?.Dispose();
        _procExits?.Dispose();
        _receiver?.Stop();
        _receiver?.Dispose();
        _tap?.Dispose();
        if (_session is not null)
        {
            _session.Dispose();
            foreach (var e in _session.DisposeErrors) log.LogError("restoring the kernel audit state: {Error}", e.Message);
        }
        if (_reading is not null) await Task.WhenAny(_reading, Task.Delay(2000, CancellationToken.None));
    }
}
