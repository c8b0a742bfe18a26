using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Godo.Aggregator.Fleet;
using Godo.Aggregator.Ops;

namespace Godo.Aggregator;

/// <summary>
/// The state one aggregator shares between its actors and its HTTP API: the fleet, the event feeds, the metrics and
/// the ClusterClients connected to this node's receptionist. One per ActorSystem (<see cref="Of"/>).
/// </summary>
public sealed class AggregatorRuntime
{
    private static readonly ConditionalWeakTable<ActorSystem, AggregatorRuntime> BySystem = new();

    public AggregatorRuntime(AggregatorSettings settings, Func<DateTimeOffset>? clock = null)
    {
        Settings = settings;
        Fleet = new FleetState(settings.Fleet, clock);
        Metrics = new AggregatorMetrics(Fleet);
    }

    public AggregatorSettings Settings { get; }
    public FleetState Fleet { get; }
    public AggregatorMetrics Metrics { get; }
    public Broadcaster<FleetEvent> Events { get; } = new();
    public Broadcaster<ClusterEventInfo> ClusterEvents { get; } = new(1000);
    /// <summary>ClusterClients (agents) connected to this node's receptionist: address → since.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> ConnectedClients { get; } = new();
    public ActorSystem? System { get; private set; }
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    internal void Attach(ActorSystem system)
    {
        System = system;
        BySystem.AddOrUpdate(system, this);
    }

    /// <summary>The runtime <see cref="AggregatorHosting.AddAggregator"/> attached to this system.</summary>
    public static AggregatorRuntime Of(ActorSystem system) =>
        BySystem.TryGetValue(system, out var r) ? r : throw new InvalidOperationException("no aggregator in this ActorSystem (AddAggregator was not called)");

    public static bool TryOf(ActorSystem system, out AggregatorRuntime? runtime) => BySystem.TryGetValue(system, out runtime);

    internal void PublishEvents(IReadOnlyList<FleetEvent> events)
    {
        foreach (var e in events) Events.Publish(e);
    }
}

/// <summary>One line of `godo cluster tail`: a membership or reachability change seen by this node.</summary>
public sealed record ClusterEventInfo(string Kind, string Address, IReadOnlyList<string> Roles, string? Status, DateTimeOffset At);
