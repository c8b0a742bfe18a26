using Akka.Actor;
using Godo.Agent.Audit;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Agent.Pipeline;
using Godo.Agent.Proc;
using Godo.Agent.Tree;
using Microsoft.Extensions.Logging;

namespace Godo.Agent.Sources;

/// <summary>
/// Feeds the pipeline from the kernel: takes the audit session, seeds the tree from /proc, then parses what the
/// receiver thread hands over (optionally tapping it to a file) and batches it to the router. Beside it, unless
/// told audit alone, the process events connector (<see cref="ProcExitSource"/>) feeds the tree every exit. Kernel
/// loss asks the tree for a /proc reconciliation. Disposing gives the kernel back the audit state the session found.
/// </summary>
public sealed class NetlinkSource(
    AuditSessionOptions session, string? recordPath, ExitSourceMode exitSource, IActorRef router, IActorRef tree, PipelineStats stats,
    ILogger log, Action<Exception> faulted) : IDisposable
{
    private AuditKernelSession? _session;
    private NetlinkAuditReceiver? _receiver;
    private RecordTap? _tap;
    private ProcExitSource? _procExits;

    public void Start()
    {
        _session = AuditKernelSession.Start(session);
        log.LogInformation("audit: {Mode} mode, {Rules} rules, {Stale} stale godo rules removed",
            _session.Mode, _session.Rules.Count, _session.StaleRulesRemoved);
        // Opened before the bootstrap, so no exit after it is missed; read after it, so none comes before the seed.
        if (exitSource == ExitSourceMode.Auto) _procExits = ProcExitSource.TryOpen(log);
        else log.LogInformation("exit source: audit only (--exit-source audit)");
        // Bootstrap: every running process first; then a reconciliation right after receiving starts covers the gap.
        tree.Tell(new TreeProtocol.Seed(new ProcSnapshotReader().ReadAll()));
        var batcher = new RecordBatcher(router, stats, 256);
        var arena = new BodyArena(); // used only on the receiver's thread
        if (recordPath is not null)
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
            tree.Tell(new TreeProtocol.RequestReconcile($"loss: {loss.Kind} {loss.Count}"));
        };
        _receiver.StatusPolled += s => Interlocked.Exchange(ref stats.Backlog, s.Backlog);
        _receiver.Faulted += faulted;
        // The partial batch goes when the socket falls quiet (within 10 ms), from the read thread: no timer wakes for it.
        _receiver.Quiet = batcher.Flush;
        _receiver.Start();
        _procExits?.Start(tree, stats, log);
        tree.Tell(new TreeProtocol.RequestReconcile("startup"));
    }

    public void Dispose()
    {
        _procExits?.Dispose();
        _receiver?.Stop();
        _receiver?.Dispose();
        _tap?.Dispose();
        if (_session is null) return;
        _session.Dispose();
        foreach (var e in _session.DisposeErrors) log.LogError("restoring the kernel audit state: {Error}", e.Message);
    }
}
