using Akka.Hosting;
using Godo.Agent.Publishing;
using Godo.Aggregator;
using Godo.Aggregator.Hosting;
using Godo.Messages.Wire;
using Microsoft.AspNetCore.Builder;

namespace Godo.Cli.Standalone;

/// <summary>
/// `godo standalone`: a live agent and an aggregator in one process and one ActorSystem ("godo"): a single-node
/// cluster, the API (and dashboard) on 127.0.0.1:5080, and the agent's publisher in local mode (straight to the
/// ingest actor, no ClusterClient). The agent pipeline itself (audit source, tree actor) is added by the caller.
/// </summary>
public static class StandaloneHosting
{
    /// <summary>
    /// Aggregator settings for one machine: the configured ones (HTTP URL, token, host timings) on loopback, with any
    /// free remoting port and no seeds (its own cluster).
    /// </summary>
    public static AggregatorSettings Settings(AggregatorSettings configured) =>
        configured with { RemoteHost = "127.0.0.1", RemotePort = 0, PublicHost = null, Seeds = [] };

    /// <summary>
    /// A complete standalone godo: <paramref name="addAgent"/> adds the agent pipeline (source, router, tree actor) to
    /// the ActorSystem, then the aggregator and the local publisher are added; the WebApplication serves the API.
    /// Start it with StartAsync/RunAsync; stopping it leaves the (one-node) cluster through CoordinatedShutdown.
    /// </summary>
    public static WebApplication Build(AggregatorSettings settings, string hostName, Action<AkkaConfigurationBuilder, IServiceProvider> addAgent,
        Func<AgentStats>? stats = null, Action<WebApplicationBuilder>? configureWeb = null) =>
        AggregatorWeb.Build(settings, (akka, sp) =>
        {
            addAgent(akka, sp);
            akka.AddAggregatorPublisher(PublisherSettings.LocalMode(hostName, stats));
        }, configureWeb);
}
