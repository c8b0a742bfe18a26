using System.CommandLine;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Agent.Publishing;
using Godo.Agent.Pipeline;
using Godo.Aggregator;
using Godo.Cli.Output;
using Godo.Cli.Settings;
using Godo.Cli.Standalone;
using Godo.Messages.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Cli.Commands;

/// <summary>`godo standalone`: the main job on one machine, a live agent and an aggregator in one process.</summary>
public static class StandaloneCommand
{
    public static Command Create()
    {
        var o = AgentCommand.CreateOptions();
        var api = ApiOptions.Create();
        var tls = TlsSection.Options.Create("aggregator");
        var storage = StorageOptions.Create();
        var cmd = new Command("standalone", "Run a live agent and an aggregator in one process: a one-node cluster with the API and dashboard on http://127.0.0.1:5080.")
        {
            o.Source, o.Follow, o.Pace, o.HostName, o.AuditMode, o.BacklogLimit, o.ReconcileEvery, o.NoDocker, o.Record, o.ExitSource, o.ArgvCap,
        };
        foreach (var option in api.All) cmd.Options.Add(option);
        foreach (var option in tls.All) cmd.Options.Add(option);
        foreach (var option in storage.All) cmd.Options.Add(option);
        cmd.SetAction(async (parse, ct) =>
        {
            var config = GodoConfiguration.Build(storage.Flags(parse, tls.Flags(api.Flags(parse, o.Flags(parse)), parse)));
            // One process, one certificate: the standalone is a cluster member (role aggregator); its own agent's
            // messages never cross the wire, so they need no agent certificate.
            var agent = AgentSection.Bind(config, withTls: false);
            // One tree, one cap: the aggregator keeps what its own agent keeps.
            var settings = StandaloneHosting.Settings(AggregatorSection.Bind(config)) with { Caps = agent.Caps };
            var tlsNote = settings.Tls is null ? "" : ", mutual TLS";
            var stats = new PipelineStats();
            NativeHeap.LimitArenas();
            WebApplication app;
            try
            {
                app = StandaloneHosting.Build(settings, agent.HostName, (akka, _) => akka.AddAgent(agent, stats),
                    AgentStatsSampler.FromPipeline(stats, agent.SourceText), web =>
                    {
                        web.Services.AddAuditSource(agent, stats);
                        web.Logging.AddGodoConsole();
                    });
            }
            catch (AggregatorConfigException e) { throw new UsageException(e.Message); }
            await using var _ = app;
            try
            {
                await app.StartAsync(ct);
            }
            catch (Exception e) when (e is AuditPermissionException or AuditModeUnavailableException or AuditSessionTakenException)
            {
                throw new UsageException(e.Message);
            }
            catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"cannot listen on {settings.HttpUrl}: the port is in use (another godo?); choose another with --http");
            }
            NativeHeap.TrimAfter(TimeSpan.FromSeconds(15));
            Console.Error.WriteLine($"godo: standalone on {settings.HttpUrl} (host {agent.HostName}, source {agent.SourceText}{tlsNote}); Ctrl-C stops");
            try { await app.WaitForShutdownAsync(ct); }
            catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            if (app.Services.GetRequiredService<CriticalActors>().Failure is { } failure)
                throw new InvalidOperationException($"{failure}; exiting so godo is started afresh");
            return CommandLine.Ok;
        });
        return cmd;
    }
}
