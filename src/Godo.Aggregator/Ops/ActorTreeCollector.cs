using Akka.Actor;

namespace Godo.Aggregator.Ops;

/// <summary>
/// `GET /ops/actors` (pbm's `actor hierarchy`): walks the tree with ActorSelection + Identify, level by level,
/// and replies with every path found once no new answer came for a short while.
/// </summary>
public sealed class ActorTreeCollector : ReceiveActor
{
    private sealed record Quiet;

    private readonly SortedSet<string> _paths = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<IReadOnlyList<string>> _done;
    private ICancelable? _timer;

    public ActorTreeCollector(TaskCompletionSource<IReadOnlyList<string>> done, IReadOnlyList<string> roots)
    {
        _done = done;
        Receive<ActorIdentity>(id =>
        {
            if (id.Subject is null || id.Subject.Equals(Self)) return;
            var path = id.Subject.Path.ToStringWithoutAddress();
            if (path.StartsWith("/temp", StringComparison.Ordinal) || !_paths.Add(path)) return;
            if (_paths.Count < 10_000) Context.ActorSelection(path + "/*").Tell(new Identify(null));
            Arm();
        });
        Receive<Quiet>(_ =>
        {
            _done.TrySetResult(_paths.ToList());
            Context.Stop(Self);
        });
        foreach (var root in roots) Context.ActorSelection(root + "/*").Tell(new Identify(null));
        Arm();
    }

    private void Arm()
    {
        _timer?.Cancel();
        _timer = Context.System.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(250), Self, new Quiet(), Self);
    }

    protected override void PostStop() => _timer?.Cancel();

    public static async Task<IReadOnlyList<string>> CollectAsync(ActorSystem system, IReadOnlyList<string> roots, CancellationToken ct)
    {
        var done = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var collector = system.ActorOf(Props.Create(() => new ActorTreeCollector(done, roots)));
        await using var _ = ct.Register(() => { done.TrySetCanceled(ct); collector.Tell(PoisonPill.Instance); });
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
