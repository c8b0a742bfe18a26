using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using Godo.Agent.Publishing;
using Godo.Messages;
using Godo.Messages.Model;
using Godo.Messages.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Aggregator.Tests.Hosts;

/// <summary>
/// Many small agents in one ActorSystem, through a real ClusterClient, the way agents send: a snapshot per host, then
/// a heartbeat a second; a snapshot request is answered with a fresh snapshot numbered next. Each host's tree starts as
/// <see cref="Tree"/> and changes only when told (<see cref="Retire"/>: one delta), so what an aggregator serves can be
/// checked exactly (<see cref="TreeOf"/>).
/// </summary>
public sealed class SimulatedFleet : IAsyncDisposable
{
    private sealed record RetireWorker;
    private readonly IHost _host;
    private readonly ConcurrentDictionary<string, ImmutableArray<ProcessInfo>> _trees;

    private SimulatedFleet(IHost host, IReadOnlyList<string> hosts, ConcurrentDictionary<string, ImmutableArray<ProcessInfo>> trees)
    {
        _host = host;
        _trees = trees;
        Hosts = hosts;
    }

    public IReadOnlyList<string> Hosts { get; }

    /// <summary>The host's tree as its agent now has it.</summary>
    public ImmutableArray<ProcessInfo> TreeOf(string host) => _trees[host];

    /// <summary>Every agent removes its newest worker, in one delta with the event time of now.</summary>
    public void Retire()
    {
        var system = _host.Services.GetRequiredService<ActorSystem>();
        foreach (var h in Hosts) system.ActorSelection("/user/" + h).Tell(new RetireWorker());
    }

    /// <summary>The processes of host <paramref name="host"/>: init and a few children named after it.</summary>
    public static ImmutableArray<ProcessInfo> Tree(string host) =>
    [
        new() { Pid = 1, Ppid = 0, Comm = "init", Exe = "/sbin/init", Argv = ["/sbin/init"], StartedAt = DateTimeOffset.UnixEpoch },
        .. Enumerable.Range(0, 5).Select(i => new ProcessInfo
        {
            Pid = 100 + i, Ppid = 1, Comm = "worker", Exe = "/usr/bin/worker", Argv = ["worker", host, $"--slot={i}"], StartedAt = DateTimeOffset.UnixEpoch,
        }),
    ];

    public static async Task<SimulatedFleet> StartAsync(IEnumerable<Akka.Actor.Address> aggregators, IReadOnlyList<string> hosts)
    {
        var trees = new ConcurrentDictionary<string, ImmutableArray<ProcessInfo>>(hosts.Select(h => KeyValuePair.Create(h, Tree(h))));
        var host = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(s => s.AddAkka("godo-fleet", b => b
                .AddAggregatorClient(new PublisherSettings { HostName = "fleet", Aggregators = aggregators.Select(a => a.ToString()).ToList() })
                .WithActors((system, registry) =>
                {
                    var client = registry.Get<AggregatorClientKey>();
                    foreach (var h in hosts) system.ActorOf(Props.Create(() => new SimAgent(h, client, trees)), h);
                })))
            .Build();
        await host.StartAsync();
        return new SimulatedFleet(host, hosts, trees);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await _host.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        _host.Dispose();
    }

    private sealed class SimAgent : ReceiveActor, IWithTimers
    {
        private sealed record Beat;
        private readonly string _host;
        private readonly IActorRef _client;
        private readonly ConcurrentDictionary<string, ImmutableArray<ProcessInfo>> _trees;
        private readonly string _incarnation = Guid.NewGuid().ToString("N");
        private long _sequence;

        public ITimerScheduler Timers { get; set; } = null!;

        public SimAgent(string host, IActorRef client, ConcurrentDictionary<string, ImmutableArray<ProcessInfo>> trees)
        {
            _host = host;
            _client = client;
            _trees = trees;
            Receive<Beat>(_ => Send(new AgentHeartbeat(_host, _incarnation, _sequence, DateTimeOffset.UtcNow, new AgentStats { Source = "sim" })));
            Receive<SnapshotRequest>(_ => Snapshot());
            Receive<IngestAck>(_ => { });
            Receive<RetireWorker>(_ =>
            {
                var tree = _trees[_host];
                var worker = tree.Last();
                if (worker.Pid == 1) return;
                var now = DateTimeOffset.UtcNow;
                _trees[_host] = tree.Remove(worker);
                Send(new HostDelta(_host, _incarnation, ++_sequence, now, [new ProcessChange(ProcessChangeKind.Removed, worker, now)], [], now));
            });
        }

        protected override void PreStart()
        {
            Snapshot();
            Timers.StartPeriodicTimer("beat", new Beat(), TimeSpan.FromSeconds(1));
        }

        private void Snapshot() => Send(new HostSnapshot(_host, _incarnation, ++_sequence, DateTimeOffset.UtcNow, _trees[_host], [], new AgentStats { Source = "sim" }));

        private void Send(IGodoWireMessage m) => _client.Tell(new ClusterClient.Send(GodoConstants.AgentIngestPath, m, localAffinity: true), Self);
    }
}
