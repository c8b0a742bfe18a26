using System.Collections.Immutable;
using Akka.Actor;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Tests.Storage;

/// <summary>
/// Agents at a steady rate, straight into an aggregator's ingest: each of <see cref="Hosts"/> hosts sends its snapshot,
/// then every <see cref="Every"/> a delta in which <see cref="StartsPerDelta"/> processes start and as many (started
/// <see cref="Lifetime"/> deltas before) exit, in event time now, and are removed a second later; asked for a snapshot (an entity that lost its state,
/// e.g. to a journal write that timed out on a loaded machine), it sends one, as an agent does. So the live trees
/// stay the same size while the journal and the history take new rows at a constant pace: what retention must keep
/// flat. Also used by bench/storage.sh --steady (linked into bench/storage).
/// </summary>
public sealed class SteadyLoad(ActorSystem system, int hosts = 4, int startsPerDelta = 2)
{
    public int Hosts { get; } = hosts;
    public int StartsPerDelta { get; } = startsPerDelta;
    public TimeSpan Every { get; init; } = TimeSpan.FromMilliseconds(100);
    public int Lifetime { get; init; } = 20;

    private long _deltas, _snapshots, _lastEventMs;

    /// <summary>Deltas sent so far (all hosts).</summary>
    public long Deltas => Interlocked.Read(ref _deltas);
    /// <summary>Snapshots sent so far, the first ones included.</summary>
    public long Snapshots => Interlocked.Read(ref _snapshots);
    /// <summary>The event time of the last delta sent.</summary>
    public DateTimeOffset LastEventTime => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastEventMs));

    public static string HostName(int h) => $"steady-{h}";

    /// <summary>Sends until <paramref name="ct"/> is cancelled, at the pace of <see cref="Every"/> (late ticks are not made up).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var agents = system.ActorOf(Props.Create(() => new Agents(this)), "steady-load-" + Guid.NewGuid().ToString("N")[..8]);
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
        await agents.GracefulStop(TimeSpan.FromSeconds(10));
    }

    private sealed class Agents : ReceiveActor, IWithTimers
    {
        private sealed record Tick;
        private readonly SteadyLoad _load;
        private readonly ActorSelection _ingest;
        private readonly string _incarnation = "steady-" + Guid.NewGuid().ToString("N")[..8];
        private readonly long[] _sequence;
        private readonly DateTimeOffset _boot = DateTimeOffset.UtcNow.AddDays(-1);
        // The workers alive now: one entry per tick of the last Lifetime, with when they started.
        private readonly Queue<(long Tick, DateTimeOffset Started)> _alive = new();
        // The workers that exited, with the tick of their exit: removed 1 s later, as an agent's tree does.
        private readonly Queue<(long Tick, DateTimeOffset Started, long ExitTick)> _exited = new();
        private long _tick;

        public ITimerScheduler Timers { get; set; } = null!;

        public Agents(SteadyLoad load)
        {
            _load = load;
            _ingest = Context.System.ActorSelection(GodoConstants.AgentIngestPath);
            _sequence = new long[load.Hosts];
            Receive<Tick>(_ => OnTick());
            Receive<SnapshotRequest>(r =>
            {
                var h = Enumerable.Range(0, _load.Hosts).FirstOrDefault(i => HostName(i) == r.Host, -1);
                if (h >= 0) Snapshot(h);
            });
            ReceiveAny(_ => { }); // acks
        }

        protected override void PreStart()
        {
            for (var h = 0; h < _load.Hosts; h++) Snapshot(h);
            Timers.StartPeriodicTimer("tick", new Tick(), _load.Every);
        }

        private void Snapshot(int h)
        {
            var now = DateTimeOffset.UtcNow;
            ImmutableArray<ProcessInfo> processes = [Init(), .. _alive.SelectMany(a => Enumerable.Range(0, _load.StartsPerDelta).Select(k => Worker(h, a.Tick, k, a.Started)))];
            _ingest.Tell(new HostSnapshot(HostName(h), _incarnation, ++_sequence[h], now, processes, [], new AgentStats { Source = "steady" }, EventTime: now), Self);
            Interlocked.Increment(ref _load._snapshots);
        }

        private void OnTick()
        {
            var now = DateTimeOffset.UtcNow;
            var tick = ++_tick;
            _alive.Enqueue((tick, now));
            (long Tick, DateTimeOffset Started)? exiting = _alive.Count > _load.Lifetime ? _alive.Dequeue() : null;
            if (exiting is { } e) _exited.Enqueue((e.Tick, e.Started, tick));
            var removing = _exited.Count > 0 && (tick - _exited.Peek().ExitTick) * _load.Every >= TimeSpan.FromSeconds(1) ? _exited.Dequeue() : ((long, DateTimeOffset, long)?)null;
            for (var h = 0; h < _load.Hosts; h++)
            {
                var changes = ImmutableArray.CreateBuilder<ProcessChange>(3 * _load.StartsPerDelta);
                for (var k = 0; k < _load.StartsPerDelta; k++)
                {
                    changes.Add(new ProcessChange(ProcessChangeKind.Upsert, Worker(h, tick, k, now), now));
                    if (exiting is { } gone)
                    {
                        var p = Worker(h, gone.Tick, k, gone.Started) with { ExitedAt = now };
                        changes.Add(new ProcessChange(ProcessChangeKind.Exited, p, now, ExitCode: k % 2));
                    }
                    if (removing is { } r) changes.Add(new ProcessChange(ProcessChangeKind.Removed, Worker(h, r.Item1, k, r.Item2), now));
                }
                _ingest.Tell(new HostDelta(HostName(h), _incarnation, ++_sequence[h], now, changes.ToImmutable(), [], now), Self);
                Interlocked.Increment(ref _load._deltas);
            }
            Interlocked.Exchange(ref _load._lastEventMs, now.ToUnixTimeMilliseconds());
        }

        private ProcessInfo Init() => new()
        {
            Pid = 1, Ppid = 0, Comm = "init", Exe = "/sbin/init", Argv = ["/sbin/init"], StartedAt = _boot, Uid = 0,
        };

        // Pids cycle below the kernel's default pid_max; the worker (tick, k) is the same process at its start and exit.
        private ProcessInfo Worker(int h, long tick, int k, DateTimeOffset started) => new()
        {
            Pid = (int)(2 + (tick * _load.StartsPerDelta + k) % 4_000_000), Ppid = 1, Comm = "python3", Exe = "/usr/bin/python3.11",
            Argv = ["python3", "-m", "gunicorn", "--workers", "4", $"app.wsgi:host{h}", $"--request={tick}"], Cwd = "/srv/app",
            Uid = 1000, User = "app", StartedAt = started,
        };
    }
}
