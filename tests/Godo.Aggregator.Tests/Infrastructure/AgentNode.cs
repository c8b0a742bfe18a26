using System.Text;
using Akka.Actor;
using Akka.Hosting;
using Godo.Agent;
using Godo.Agent.Assembly;
using Godo.Agent.Publishing;
using Godo.Agent.Pipeline;
using Godo.Agent.Sources;
using Godo.Agent.Audit;
using Godo.Agent.Tree;
using Godo.Messages.Model;
using Godo.Messages.Supervision;
using Godo.Messages.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Aggregator.Tests.Infrastructure;

/// <summary>
/// An agent in this process: the real audit pipeline (router, assemblers, ProcessTreeActor) fed from a corpus, and the
/// real publisher with a ClusterClient to the aggregators. Not a cluster member.
/// </summary>
public sealed class AgentNode : IAsyncDisposable
{
    private readonly IHost _host;

    private AgentNode(IHost host, string hostName, PipelineStats stats)
    {
        _host = host;
        HostName = hostName;
        Stats = stats;
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Router = registry.Get<SerialRouterActor>();
        Tree = registry.Get<ProcessTreeActor>();
        Publisher = registry.Get<AggregatorPublisherActor>();
    }

    public string HostName { get; }
    /// <summary>The agent's remoting address (akka.tcp://godo-agent@127.0.0.1:PORT, or akka.ssl.tcp under TLS).</summary>
    public Address Address => ((ExtendedActorSystem)_host.Services.GetRequiredService<ActorSystem>()).Provider.DefaultAddress;
    public PipelineStats Stats { get; }
    public IActorRef Router { get; }
    public IActorRef Tree { get; }
    public IActorRef Publisher { get; }
    public bool Stopped { get; private set; }

    /// <param name="tls">The agent's certificates: mutual TLS to the aggregators and the host proof on snapshots (a test
    /// may give one that names another host, or comes from another CA: the agent process itself would refuse those).</param>
    public static async Task<AgentNode> StartAsync(string hostName, IEnumerable<Address> aggregators, Func<HostDelta, bool>? dropDelta = null,
        Godo.Messages.Security.FleetTrust? tls = null, Godo.Messages.Supervision.CriticalActors? critical = null, ProcessCaps? caps = null,
        long? resendBytes = null)
    {
        var stats = new PipelineStats();
        var settings = new PublisherSettings
        {
            HostName = hostName,
            Aggregators = aggregators.Select(a => a.ToString()).ToList(),
            DropDelta = dropDelta,
            ResendBytes = resendBytes ?? new PublisherSettings { HostName = hostName }.ResendBytes,
            Tls = tls,
            Stats = () => new AgentStats { Records = Interlocked.Read(ref stats.Records), Events = Interlocked.Read(ref stats.Events), Source = "file:test" },
        };
        var host = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(services => services.AddAkka("godo-agent", b => b
                .AddCriticalWatch(critical ?? new Godo.Messages.Supervision.CriticalActors())
                .AddAgentHocon()
                .AddProcessTreeActor(new TreeActorSettings { HostName = hostName, Caps = caps ?? ProcessCaps.Default }, stats)
                .AddSerialRouter(new AssemblyOptions(), stats)
                .AddAggregatorPublisher(settings)))
            .Build();
        await host.StartAsync();
        return new AgentNode(host, hostName, stats);
    }

    private RecordBatcher? _batcher;

    /// <summary>
    /// Feeds audit log text through the pipeline (in pieces: one continuous stream until <paramref name="endOfStream"/>)
    /// and waits until the tree has applied every event so far.
    /// </summary>
    public async Task FeedAsync(string text, bool endOfStream)
    {
        _batcher ??= new RecordBatcher(Router, Stats);
        foreach (var line in text.Split('\n'))
        {
            Interlocked.Increment(ref Stats.Lines);
            if (AuditLineParser.TryParseLine(Encoding.UTF8.GetBytes(line), out var rec) == MalformedReason.None) _batcher.Add(rec);
        }
        if (endOfStream)
        {
            _batcher.EndOfStream();
            await Tree.Ask<TreeProtocol.Drained>(new TreeProtocol.WaitForDrain(), TimeSpan.FromSeconds(60));
            return;
        }
        _batcher.Flush();
        await Eventually.Until(() => Task.FromResult(Interlocked.Read(ref Stats.RecordsRouted) >= Interlocked.Read(ref Stats.RecordsSubmitted)
                                                      && Interlocked.Read(ref Stats.EventsApplied) >= Interlocked.Read(ref Stats.Events)),
            TimeSpan.FromSeconds(60), "agent pipeline drained");
    }

    public Task<HostTree> TreeAsync() => Tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(10));

    public Task<AggregatorPublisherActor.Counters> CountersAsync() =>
        Publisher.Ask<AggregatorPublisherActor.Counters>(new AggregatorPublisherActor.GetCounters(), TimeSpan.FromSeconds(5));

    /// <summary>The agent goes away without a word to the aggregators (its ActorSystem ends).</summary>
    public async Task StopAsync()
    {
        if (Stopped) return;
        Stopped = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}
