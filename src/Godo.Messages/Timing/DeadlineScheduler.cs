using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Godo.Messages.Timing;

/// <summary>
/// Akka's scheduler for godo's processes (<c>akka.scheduler.implementation</c> in hocon/): one thread that sleeps until
/// the earliest deadline and runs what is due, so an idle process wakes only when a timer is due. Akka's own
/// HashedWheelTimerScheduler ticks every <c>tick-duration</c> for as long as the system lives, due or not (10 times a
/// second at 100 ms, each tick a timer-thread wake-up and a thread-pool hop before any message moves); a .NET timer
/// per entry would wake the timer thread and a pool thread for each. Here a due timer costs one wake-up of this thread
/// (plus the receiving actor's own). One-shot deadlines are exact, where the wheel rounds them up to its next tick.
/// Periodic ticks of 400 ms or more (Akka's and godo's housekeeping: heartbeats, gossip, reapers, sweeps, a
/// dozen of them in an aggregator) run on a shared grid from their second run on (half a second, or whole seconds
/// for whole-second intervals, see <see cref="GridFor"/>), at most one step late once, so that they fire together:
/// two wake-ups a second for all of them instead of one each, one every 2 s where all are 2 s or more.
/// Otherwise the wheel's contract: a repeated action runs every <c>interval</c> (never twice at once; runs missed while
/// the process stalled are skipped, not made up), a cancelled one never runs again, and what is still pending when
/// the system stops runs once, here (as the wheel does, so nothing awaiting a scheduled completion hangs). Actions run
/// on this thread, as they ran on the wheel's: they are Tells and completions, short by contract.
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    /// <summary>Periodic ticks at least this far apart share deadlines on a grid of this step.</summary>
    public static readonly TimeSpan Grid = TimeSpan.FromMilliseconds(500);
    /// <summary>
    /// Periodic ticks this far apart or more ride the grid. Below the grid's step on purpose: sharding's replicator
    /// pushes its deltas every 400 ms (a fifth of its gossip interval, not a setting of its own) with nothing to push in
    /// an aggregator at rest; on the grid it runs every 500 ms with the other ticks instead of 2.5 wake-ups a second of
    /// its own.
    /// </summary>
    public static readonly TimeSpan GridFrom = TimeSpan.FromMilliseconds(400);

    private readonly object _gate = new();
    private readonly PriorityQueue<Entry, TimeSpan> _queue = new();
    private readonly Thread _thread;
    /// <summary>Entries in the queue whose cancelable fired: they are skipped when due, and purged when they pile up.</summary>
    private int _cancelledInQueue;
    private bool _stopped;

    public DeadlineScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "godo-scheduler" };
        _thread.Start();
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.UtcNow;
    public override TimeSpan MonotonicClock => Clock.Elapsed;
    public override TimeSpan HighResMonotonicClock => Clock.Elapsed;

    /// <summary>Timers waiting, cancelled ones not counted (for tests).</summary>
    public int Pending
    {
        get { lock (_gate) return _queue.Count - _cancelledInQueue; }
    }

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    private void Schedule(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
    {
        var entry = new Entry(this, action, interval, cancelable);
        Enqueue(entry, Clock.Elapsed + (delay > TimeSpan.Zero ? delay : TimeSpan.Zero));
        // Registered once it is queued, so that a cancel finds it there (an already cancelled token calls back at once).
        if (cancelable is not null) entry.OnCancel = cancelable.Token.UnsafeRegister(static s => ((Entry)s!).Owner.Cancelled((Entry)s), entry);
    }

    private void Enqueue(Entry entry, TimeSpan due)
    {
        lock (_gate)
        {
            if (_stopped) throw new SchedulerException("the scheduler has stopped: the actor system is terminating");
            // Wake the thread only if this deadline comes before the one it sleeps for.
            var earliest = _queue.TryPeek(out _, out var first) ? first : TimeSpan.MaxValue;
            entry.Queued = true;
            entry.Due = due;
            _queue.Enqueue(entry, due);
            if (due < earliest) Monitor.Pulse(_gate);
        }
    }

    private void Cancelled(Entry entry)
    {
        lock (_gate)
        {
            if (!entry.Queued || entry.Counted) return;
            entry.Counted = true;
            // Timers are replaced and cancelled all the time (actors' timers, receive timeouts): keep the queue to
            // about twice what is live.
            if (++_cancelledInQueue > 64 && _cancelledInQueue > _queue.Count / 2) Purge();
        }
    }

    private void Purge()
    {
        var live = new List<(Entry, TimeSpan)>(_queue.Count - _cancelledInQueue);
        while (_queue.TryDequeue(out var e, out var due))
            if (e.IsCancelled) e.Queued = false;
            else live.Add((e, due));
        _queue.EnqueueRange(live);
        _cancelledInQueue = 0;
    }

    private void Run()
    {
        var due = new List<Entry>();
        while (true)
        {
            lock (_gate)
            {
                while (true)
                {
                    if (_stopped) return;
                    if (!_queue.TryPeek(out _, out var first)) { Monitor.Wait(_gate); continue; }
                    var wait = first - Clock.Elapsed;
                    if (wait <= TimeSpan.Zero) break;
                    // Whole milliseconds, rounded up: never early.
                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Ceiling(Math.Min(wait.TotalMilliseconds, int.MaxValue - 1))));
                }
                var now = Clock.Elapsed;
                while (_queue.TryPeek(out var entry, out var at) && at <= now)
                {
                    _queue.Dequeue();
                    entry.Queued = false;
                    if (entry.Counted) _cancelledInQueue--;
                    entry.Counted = false;
                    if (!entry.IsCancelled) due.Add(entry);
                }
            }
            foreach (var entry in due)
            {
                RunOnce(entry);
                if (entry.Interval > TimeSpan.Zero && !entry.IsCancelled)
                {
                    try { Enqueue(entry, NextDue(entry.Due, entry.Interval, Clock.Elapsed)); }
                    catch (SchedulerException) { return; }
                }
                else entry.OnCancel.Dispose();
            }
            due.Clear();
        }
    }

    /// <summary>
    /// The next run of a periodic entry last due at <paramref name="due"/>: one interval on (fixed rate, so it does not
    /// drift by how late each run was), past <paramref name="now"/> (runs missed in a stall are skipped), and for
    /// intervals of <see cref="GridFrom"/> or more, rounded up onto the grid (<see cref="GridFor"/>).
    /// </summary>
    public static TimeSpan NextDue(TimeSpan due, TimeSpan interval, TimeSpan now)
    {
        var next = due + interval;
        if (next <= now) next = now + interval;
        if (interval < GridFrom) return next;
        var step = GridFor(interval).Ticks;
        var rest = next.Ticks % step;
        return rest == 0 ? next : next + TimeSpan.FromTicks(step - rest);
    }

    /// <summary>
    /// The grid a periodic tick rides: the coarsest of 2 s, 1 s and <see cref="Grid"/> that its interval is a whole
    /// multiple of (else <see cref="Grid"/>). Ticks of every 2 s (4 s, 10 s...) then fire at the same instants, and
    /// every 1 s tick with them: an agent whose ticks are all 2 s or more wakes for them once every 2 s, not at the
    /// four phases a half-second grid allows; and the thread pool's gate thread, which polls every 500 ms for a second
    /// after each burst of work, sleeps in between. No interval that is a multiple of the grid's step is stretched.
    /// </summary>
    public static TimeSpan GridFor(TimeSpan interval)
    {
        foreach (var step in Steps)
            if (interval >= step && interval.Ticks % step.Ticks == 0) return step;
        return Grid;
    }

    private static readonly TimeSpan[] Steps = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)];

    private void RunOnce(Entry entry)
    {
        try { entry.Action.Run(); }
        catch (SchedulerException) { } // its target is gone (a terminated actor)
        catch (Exception e) { Log.Error(e, "a scheduled action failed"); }
    }

    /// <summary>The system stops: no timer fires any more; what was pending and not cancelled runs once, here.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
            Monitor.Pulse(_gate);
        }
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(5));
        List<Entry> left;
        lock (_gate)
        {
            left = _queue.UnorderedItems.Select(i => i.Element).Where(e => !e.IsCancelled).ToList();
            _queue.Clear();
            _cancelledInQueue = 0;
        }
        foreach (var entry in left) RunOnce(entry);
    }

    private sealed class Entry(DeadlineScheduler owner, IRunnable action, TimeSpan interval, ICancelable? cancelable)
    {
        public DeadlineScheduler Owner { get; } = owner;
        public IRunnable Action { get; } = action;
        public TimeSpan Interval { get; } = interval;
        public bool IsCancelled => cancelable?.IsCancellationRequested == true;
        public CancellationTokenRegistration OnCancel;
        // Guarded by the owner's gate: in the queue, and counted there as cancelled.
        public bool Queued, Counted;
        public TimeSpan Due;
    }

    private sealed class ScheduledTell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);
#if NET6_0_OR_GREATER
        public void Execute() => Run();
#endif
    }
}
