using Godo.Aggregator.Fleet;
using Godo.Aggregator.Hosts;
using Prometheus;
using Godo.Messages.Api;

namespace Godo.Aggregator.Ops;

/// <summary>
/// Prometheus metrics of one aggregator (own registry, so several aggregators in one process stay apart):
/// agents' records/events/lost, tree sizes, deltas and snapshots taken in, snapshot requests, API latency.
/// </summary>
public sealed class AggregatorMetrics
{
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Counter Deltas { get; }
    public Counter DeltaChanges { get; }
    public Counter Snapshots { get; }
    public Counter Heartbeats { get; }
    public Counter SnapshotRequests { get; }
    public Counter Duplicates { get; }
    public Counter FleetEvents { get; }
    public Counter SnapshotChunks { get; }
    public Counter SnapshotsAbandoned { get; }
    public Histogram ApiLatency { get; }
    private readonly Gauge _hostRecords, _hostEvents, _hostLost, _hostProcesses, _hostContainers, _hosts, _processes, _heap;

    public AggregatorMetrics(HostDirectory fleet, FleetFeed? feed = null, HostsHeld? held = null)
    {
        var f = Metrics.WithCustomRegistry(Registry);
        Deltas = f.CreateCounter("godo_deltas_total", "Host deltas applied.");
        DeltaChanges = f.CreateCounter("godo_delta_changes_total", "Process and container changes in applied deltas.");
        Snapshots = f.CreateCounter("godo_snapshots_total", "Host snapshots applied.");
        Heartbeats = f.CreateCounter("godo_heartbeats_total", "Agent heartbeats received.");
        SnapshotRequests = f.CreateCounter("godo_snapshot_requests_total", "Snapshots asked of agents (gap, new incarnation, behind).", "reason");
        Duplicates = f.CreateCounter("godo_ingest_ignored_total", "Messages ignored: repeated sequence, dropped while waiting for a snapshot, or refused (a claim on a host another agent holds, a bad host name).", "outcome");
        SnapshotChunks = f.CreateCounter("godo_snapshot_chunks_total", "Pieces of agents' snapshots received: kept, completed (the last of a snapshot), duplicate or stale.", "outcome");
        SnapshotsAbandoned = f.CreateCounter("godo_snapshots_abandoned_total", "Snapshots dropped unfinished: a newer one started, or their pieces stopped coming.");
        FleetEvents = f.CreateCounter("godo_fleet_events_total", "Fleet events derived (exec, exit, container start/stop, host status).", "kind");
        ApiLatency = f.CreateHistogram("godo_api_request_duration_seconds", "HTTP API latency.", new HistogramConfiguration
        {
            LabelNames = ["endpoint", "code"],
            Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        });
        _hostRecords = f.CreateGauge("godo_agent_records", "Audit records an agent has read (since it started).", "host");
        _hostEvents = f.CreateGauge("godo_agent_events", "Audit events an agent has assembled.", "host");
        _hostLost = f.CreateGauge("godo_agent_lost", "The kernel's lost-record counter on the agent's host.", "host");
        _hostProcesses = f.CreateGauge("godo_tree_processes", "Live processes in a host's tree.", "host");
        _hostContainers = f.CreateGauge("godo_tree_containers", "Containers in a host's tree.", "host");
        _hosts = f.CreateGauge("godo_hosts", "Hosts known, by status.", "status");
        _processes = f.CreateGauge("godo_tree_processes_total", "Live processes across the fleet.");
        _heap = f.CreateGauge("godo_managed_heap_bytes", "Managed heap in use (GC.GetTotalMemory).");
        var hostsHeld = f.CreateGauge("godo_hosts_held", "Hosts whose entity (live tree) this aggregator holds: about 1/N of the fleet with N aggregators.");
        var feedClients = f.CreateGauge("godo_feed_clients", "Event-stream clients following the fleet's events.");
        var feedOverflows = f.CreateCounter("godo_feed_overflows_total", "Event-stream clients cut off for reading too slowly.");
        var feedPeak = f.CreateGauge("godo_feed_client_queue_peak_bytes", "The most one event-stream client ever had queued (estimated bytes).");
        Registry.AddBeforeCollectCallback(() =>
        {
            if (feed is not null)
            {
                feedClients.Set(feed.Live.Count);
                feedOverflows.IncTo(feed.Live.Overflows);
                feedPeak.Set(feed.Live.PeakQueuedBytes);
            }
            if (held is not null) hostsHeld.Set(held.Count);
            var hosts = fleet.Hosts();
            var seen = new HashSet<string>();
            foreach (var h in hosts)
            {
                seen.Add(h.Host);
                _hostRecords.WithLabels(h.Host).Set(h.Stats.Records);
                _hostEvents.WithLabels(h.Host).Set(h.Stats.Events);
                _hostLost.WithLabels(h.Host).Set(h.Stats.Lost);
                _hostProcesses.WithLabels(h.Host).Set(h.ProcessCount);
                _hostContainers.WithLabels(h.Host).Set(h.ContainerCount);
            }
            foreach (var g in new[] { _hostRecords, _hostEvents, _hostLost, _hostProcesses, _hostContainers })
                foreach (var labels in g.GetAllLabelValues().ToList())
                    if (!seen.Contains(labels[0])) g.RemoveLabelled(labels);
            foreach (var st in Enum.GetValues<HostStatus>())
                _hosts.WithLabels(st.ToString().ToLowerInvariant()).Set(hosts.Count(h => h.Status == st));
            _processes.Set(hosts.Sum(h => (double)h.ProcessCount));
            _heap.Set(GC.GetTotalMemory(false));
        });
    }

    public void Count(IngestResult result, object message)
    {
        switch (result.Outcome)
        {
            case IngestOutcome.Applied when message is Godo.Messages.Wire.HostDelta d:
                Deltas.Inc();
                DeltaChanges.Inc(d.Processes.Length + d.Containers.Length);
                break;
            case IngestOutcome.Applied when message is Godo.Messages.Wire.HostSnapshot:
                Snapshots.Inc();
                break;
            case IngestOutcome.SnapshotNeeded:
                SnapshotRequests.WithLabels(ReasonLabel(result.Request?.Reason)).Inc();
                break;
            case IngestOutcome.Duplicate or IngestOutcome.Dropped or IngestOutcome.Refused:
                Duplicates.WithLabels(result.Outcome.ToString().ToLowerInvariant()).Inc();
                break;
        }
        if (message is Godo.Messages.Wire.AgentHeartbeat) Heartbeats.Inc();
        foreach (var e in result.Events) FleetEvents.WithLabels(e.Kind).Inc();
    }

    private static string ReasonLabel(string? reason) => reason switch
    {
        null => "unknown",
        _ when reason.StartsWith("gap", StringComparison.Ordinal) => "gap",
        _ when reason.StartsWith("behind", StringComparison.Ordinal) => "behind",
        _ when reason.Contains("incarnation", StringComparison.Ordinal) => "new-incarnation",
        _ when reason.Contains("unknown", StringComparison.Ordinal) => "unknown-host",
        _ => "other",
    };
}
