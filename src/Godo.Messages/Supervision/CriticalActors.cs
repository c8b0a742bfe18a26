using Akka.Actor;
using Akka.Event;
using Akka.Hosting;

namespace Godo.Messages.Supervision;

/// <summary>
/// The actors a godo process is useless without (the agent's tree, router and publisher; the aggregator's ingest).
/// Should one stop outside a shutdown, the process must not limp on looking healthy: the failure is kept here (the
/// readiness check reports it), <see cref="Failed"/> fires and the ActorSystem shuts down, so the command exits non-zero
/// and its supervisor (systemd, Kubernetes) starts it afresh, which rebuilds the state (/proc, a new snapshot).
/// </summary>
public sealed class CriticalActors
{
    private readonly CancellationTokenSource _failed = new();
    private volatile string? _failure;

    /// <summary>What stopped, or null while every critical actor lives.</summary>
    public string? Failure => _failure;

    /// <summary>Cancelled when a critical actor stops.</summary>
    public CancellationToken Failed => _failed.Token;

    internal void Fail(string what)
    {
        _failure ??= what;
        _failed.Cancel();
    }
}

/// <summary>Watches the critical actors (local watch: untrusted remoting cannot fake a Terminated).</summary>
public sealed class CriticalWatcher : ReceiveActor
{
    public sealed record Watch(IActorRef Actor, string What);

    private readonly Dictionary<IActorRef, string> _watched = new();

    public CriticalWatcher(CriticalActors critical)
    {
        var log = Context.GetLogger();
        Receive<Watch>(w =>
        {
            _watched[w.Actor] = w.What;
            Context.Watch(w.Actor);
        });
        Receive<Terminated>(t =>
        {
            var shutdown = CoordinatedShutdown.Get(Context.System);
            if (shutdown.ShutdownReason is not null || !_watched.TryGetValue(t.ActorRef, out var what)) return;
            log.Error("{0} ({1}) stopped: the process stops too, to be started afresh", what, t.ActorRef.Path);
            critical.Fail($"{what} stopped");
            shutdown.Run(new CriticalActorStopped());
        });
    }

    private sealed class CriticalActorStopped : CoordinatedShutdown.Reason
    {
        public override int ExitCode => 1;
    }
}

public static class CriticalActorsExtensions
{
    /// <summary>Starts the watcher; then <see cref="WatchCritical{T}"/> names the actors it watches.</summary>
    public static AkkaConfigurationBuilder AddCriticalWatch(this AkkaConfigurationBuilder builder, CriticalActors critical) =>
        builder.WithActors((system, registry) =>
        {
            if (registry.TryGet<CriticalWatcher>(out _)) return;
            registry.Register<CriticalWatcher>(system.ActorOf(Props.Create(() => new CriticalWatcher(critical)), "critical-watch"));
        });

    /// <summary>Watches the actor registered under <typeparamref name="T"/> (call after it is added).</summary>
    public static AkkaConfigurationBuilder WatchCritical<T>(this AkkaConfigurationBuilder builder, string what) =>
        builder.WithActors((_, registry) =>
        {
            if (registry.TryGet<CriticalWatcher>(out var watcher) && registry.TryGet<T>(out var actor)) watcher.Tell(new CriticalWatcher.Watch(actor, what));
        });
}
