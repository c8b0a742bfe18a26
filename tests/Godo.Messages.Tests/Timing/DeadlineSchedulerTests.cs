using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Godo.Messages.Timing;

namespace Godo.Messages.Tests.Timing;

/// <summary>godo's scheduler keeps Akka's contract: due timers fire, cancelled ones never do and are let go at once.</summary>
public sealed class DeadlineSchedulerTests() : TestKit(ConfigurationFactory.ParseString(
    """akka.scheduler.implementation = "Godo.Messages.Timing.DeadlineScheduler, Godo.Messages" """))
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private DeadlineScheduler Scheduler => (DeadlineScheduler)Sys.Scheduler;

    [Fact]
    public void A_tell_arrives_no_sooner_than_its_delay()
    {
        var started = DateTime.UtcNow;
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), TestActor, "due", ActorRefs.NoSender);
        ExpectMsg("due", Long);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(290));
        AwaitCondition(() => Scheduler.Pending == 0, Long);
    }

    [Fact]
    public void A_cancelled_tell_never_arrives_and_is_dropped_at_once()
    {
        var cancel = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(200), TestActor, "cancelled", ActorRefs.NoSender);
        var longOne = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromDays(60), TestActor, "far", ActorRefs.NoSender);
        cancel.Cancel();
        longOne.Cancel();
        Assert.Equal(0, Scheduler.Pending);
        ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Many_cancelled_timers_leave_the_live_ones_alone()
    {
        var cancels = Enumerable.Range(0, 500)
            .Select(i => Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromHours(1), TestActor, $"cancelled {i}", ActorRefs.NoSender))
            .ToList();
        for (var i = 0; i < 3; i++) Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), TestActor, "live", ActorRefs.NoSender);
        foreach (var c in cancels) c.Cancel();
        Assert.Equal(3, Scheduler.Pending);
        for (var i = 0; i < 3; i++) ExpectMsg("live", Long);
        AwaitCondition(() => Scheduler.Pending == 0, Long);
    }

    [Fact]
    public void A_repeated_tell_repeats_until_cancelled()
    {
        var cancel = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TestActor, "tick", ActorRefs.NoSender);
        for (var i = 0; i < 5; i++) ExpectMsg("tick", Long);
        cancel.Cancel();
        AwaitCondition(() => Scheduler.Pending == 0, Long);
        // At most one run was on its way when the cancel came.
        ReceiveWhile(TimeSpan.FromMilliseconds(500), o => o);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void Slow_ticks_run_on_a_shared_grid_without_drift_and_skip_what_a_stall_missed()
    {
        static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
        Assert.Equal(Ms(10_100), DeadlineScheduler.NextDue(Ms(10_000), Ms(100), Ms(10_050)));  // fast ticks stay exact
        Assert.Equal(Ms(12_000), DeadlineScheduler.NextDue(Ms(10_300), Ms(1000), Ms(10_310))); // onto the whole seconds, once
        Assert.Equal(Ms(13_000), DeadlineScheduler.NextDue(Ms(12_000), Ms(1000), Ms(12_400))); // then every second
        Assert.Equal(Ms(14_000), DeadlineScheduler.NextDue(Ms(11_500), Ms(2000), Ms(11_600))); // 2 s ticks: on even seconds,
        Assert.Equal(Ms(16_000), DeadlineScheduler.NextDue(Ms(14_000), Ms(2000), Ms(14_100))); // all together
        Assert.Equal(Ms(20_000), DeadlineScheduler.NextDue(Ms(10_000), Ms(10_000), Ms(10_100)));
        Assert.Equal(Ms(15_000), DeadlineScheduler.NextDue(Ms(10_000), Ms(5000), Ms(10_100)));  // 5 s: whole seconds, never stretched
        Assert.Equal(Ms(12_000), DeadlineScheduler.NextDue(Ms(10_200), Ms(1500), Ms(10_300)));  // 1.5 s: the half-second grid
        Assert.Equal(Ms(17_000), DeadlineScheduler.NextDue(Ms(10_000), Ms(1000), Ms(15_200))); // a stall: no burst
        Assert.Equal(Ms(15_300), DeadlineScheduler.NextDue(Ms(10_000), Ms(100), Ms(15_200)));
        Assert.Equal(Ms(10_500), DeadlineScheduler.NextDue(Ms(10_000), Ms(400), Ms(10_010))); // 400 ms rides the grid too:
        Assert.Equal(Ms(11_000), DeadlineScheduler.NextDue(Ms(10_500), Ms(400), Ms(10_510))); // every 500 ms, with the rest
    }

    [Fact]
    public void A_slow_tick_repeats()
    {
        var cancel = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TestActor, "slow", ActorRefs.NoSender);
        for (var i = 0; i < 3; i++) ExpectMsg("slow", Long);
        cancel.Cancel();
    }

    [Fact]
    public void An_action_that_throws_does_not_stop_its_repetition()
    {
        var runs = 0;
        var cancel = new Cancelable(Sys.Scheduler);
        Sys.Scheduler.Advanced.ScheduleRepeatedly(TimeSpan.Zero, TimeSpan.FromMilliseconds(20), () =>
        {
            if (Interlocked.Increment(ref runs) == 1) throw new InvalidOperationException("first run fails");
        }, cancel);
        AwaitCondition(() => Volatile.Read(ref runs) >= 3, Long);
        cancel.Cancel();
    }

    [Fact]
    public void Actor_timers_fire_and_are_replaced()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new TimerUser(probe.Ref)));
        actor.Tell("start");
        // "first" was replaced by "second" under the same key before it was due: it never comes.
        var got = probe.ReceiveN(3, Long).Cast<string>().ToList();
        while (got.Count(m => m == "periodic") < 2) got.Add(probe.ExpectMsg<string>(Long));
        Assert.DoesNotContain("first", got);
        Assert.Contains("second", got);
        actor.Tell("stop");
        probe.FishForMessage(m => m as string == "stopped", Long);
        // Cancelled timers deliver nothing more, even a run already on its way.
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task What_is_pending_when_the_system_stops_runs_once()
    {
        var system = ActorSystem.Create("stopping", ConfigurationFactory.ParseString(
            """akka.scheduler.implementation = "Godo.Messages.Timing.DeadlineScheduler, Godo.Messages" """));
        var ran = new TaskCompletionSource();
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromHours(1), () => ran.TrySetResult());
        var cancelled = new Cancelable(system.Scheduler);
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromHours(1), () => ran.TrySetException(new Exception("a cancelled action ran")), cancelled);
        cancelled.Cancel();
        await system.Terminate().WaitAsync(Long);
        await ran.Task.WaitAsync(Long);
    }

    private sealed class TimerUser : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        public TimerUser(IActorRef probe)
        {
            Receive<string>(m =>
            {
                switch (m)
                {
                    case "start":
                        Timers.StartSingleTimer("once", "first", TimeSpan.FromMilliseconds(200));
                        Timers.StartSingleTimer("once", "second", TimeSpan.FromMilliseconds(300));
                        Timers.StartPeriodicTimer("repeat", "periodic", TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(100));
                        break;
                    case "stop":
                        Timers.CancelAll();
                        probe.Tell("stopped");
                        break;
                    default:
                        probe.Tell(m);
                        break;
                }
            });
        }
    }
}
