using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Godo.Aggregator.Tests.Infrastructure;

namespace Godo.Aggregator.Tests.Hosts;

/// <summary>
/// Where the time of a failover goes, seen from the survivors: from the crash, when the killed member was marked
/// unreachable, downed (split-brain resolver), removed, and when its first and last host came back to life (entity
/// recovered) on a survivor. Polled every 20 ms, so each figure is late by at most that. Prints, never asserts: times
/// belong to the bench, the test's limit is on the whole.
/// </summary>
public sealed class FailoverTimeline : IAsyncDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private TimeSpan? _unreachable, _downed, _removed, _firstBack, _allBack;

    private FailoverTimeline(AggregatorNode observer, Address victim, IReadOnlyCollection<string> moved, AggregatorNode[] survivors, bool victimWasOldest)
    {
        VictimWasOldest = victimWasOldest;
        _watch = Task.Run(async () =>
        {
            var cluster = Cluster.Get(observer.System);
            while (!_stop.IsCancellationRequested)
            {
                var state = cluster.State;
                var member = state.Members.FirstOrDefault(m => m.Address == victim);
                _unreachable ??= state.Unreachable.Any(m => m.Address == victim) || member is null ? _clock.Elapsed : null;
                _downed ??= member is null || member.Status is MemberStatus.Down or MemberStatus.Removed ? _clock.Elapsed : null;
                _removed ??= member is null ? _clock.Elapsed : null;
                var back = moved.Count(h => survivors.Any(n => n.Fleet.Get(h) is not null));
                _firstBack ??= back > 0 ? _clock.Elapsed : null;
                _allBack ??= back == moved.Count ? _clock.Elapsed : null;
                if (_allBack is not null && _removed is not null) return;
                try { await Task.Delay(20, _stop.Token); } catch (OperationCanceledException) { return; }
            }
        });
    }

    /// <summary>The crashed member was the oldest, so the shard coordinator (a singleton on the oldest) moved too.</summary>
    public bool VictimWasOldest { get; }

    /// <summary>Starts the clock: call right before the crash.</summary>
    public static FailoverTimeline Start(AggregatorNode victim, IReadOnlyCollection<string> moved, AggregatorNode[] survivors)
    {
        var oldest = Cluster.Get(survivors[0].System).State.Members
            .Where(m => m.Status == MemberStatus.Up).Aggregate((a, b) => a.IsOlderThan(b) ? a : b);
        return new FailoverTimeline(survivors[0], victim.Address, moved, survivors, oldest.Address == victim.Address);
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>When the crashed member was seen downed, if it was.</summary>
    public TimeSpan? Downed => _downed;

    /// <summary>One line per step, each with its time since the crash and since the step before.</summary>
    public string Report(TimeSpan answered)
    {
        var steps = new (string What, TimeSpan? At)[]
        {
            ("unreachable (failure detector)", _unreachable),
            ("downed (its port closed, or the split-brain resolver)", _downed),
            ("removed (leader)", _removed),
            ("first host recovered on a survivor", _firstBack),
            ("all its hosts recovered", _allBack),
            ("all its hosts' trees answered", answered),
        };
        var lines = new List<string> { $"failover breakdown (coordinator {(VictimWasOldest ? "moved with the killed member" : "stayed")}):" };
        var before = TimeSpan.Zero;
        foreach (var (what, at) in steps)
        {
            // Polled, so a step can show a few ms before the one it follows: +0.0 then.
            lines.Add(at is { } t ? $"  {t.TotalSeconds,5:0.0}s (+{Math.Max(0, (t - before).TotalSeconds):0.0}s) {what}" : $"      -        {what}: not seen");
            if (at is { } seen) before = seen;
        }
        return string.Join(Environment.NewLine, lines);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _watch;
        _stop.Dispose();
    }
}
