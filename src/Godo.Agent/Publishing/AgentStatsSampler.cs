using System.Collections.Immutable;
using Godo.Agent.Pipeline;
using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>Turns the pipeline's counters into the <see cref="AgentStats"/> of heartbeats, with rates since the previous call.</summary>
public static class AgentStatsSampler
{
    private static readonly ImmutableArray<string> AuditOnly = ["audit"], WithProcEvents = ["audit", "proc-events"];

    public static Func<AgentStats> FromPipeline(PipelineStats stats, string source)
    {
        var gate = new object();
        long lastRecords = 0, lastEvents = 0, lastTicks = Environment.TickCount64;
        double recordsRate = 0, eventsRate = 0;
        var version = typeof(AgentStatsSampler).Assembly.GetName().Version?.ToString(3) ?? "";
        var started = DateTimeOffset.UtcNow;
        return () =>
        {
            var records = Interlocked.Read(ref stats.Records);
            var events = Interlocked.Read(ref stats.Events);
            lock (gate)
            {
                var now = Environment.TickCount64;
                var secs = (now - lastTicks) / 1000.0;
                if (secs >= 0.5)
                {
                    recordsRate = (records - lastRecords) / secs;
                    eventsRate = (events - lastEvents) / secs;
                    (lastRecords, lastEvents, lastTicks) = (records, events, now);
                }
            }
            return new AgentStats
            {
                Version = version, StartedAt = started, Source = source,
                Records = records, Events = events, RecordsPerSecond = Math.Round(recordsRate, 1), EventsPerSecond = Math.Round(eventsRate, 1),
                Malformed = Interlocked.Read(ref stats.Malformed),
                Backlog = Interlocked.Read(ref stats.Backlog),
                Corrections = Interlocked.Read(ref stats.Corrections),
                Lost = Interlocked.Read(ref stats.KernelLost),
                ProcEvents = Interlocked.Read(ref stats.ProcEvents),
                ExitSources = Interlocked.Read(ref stats.ProcEventsOpen) == 1 ? WithProcEvents : AuditOnly,
            };
        };
    }
}
