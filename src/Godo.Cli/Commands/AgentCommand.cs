using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Agent.Publishing;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using Godo.Cli.Output;
using Godo.Cli.Settings;
using Godo.Messages.Model;
using Godo.Messages.Supervision;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Cli.Commands;

/// <summary>`godo agent`: the live tree of this Docker host (netlink audit + /proc + Docker), or of a log file/stdin.</summary>
public static class AgentCommand
{
    public sealed record Options(
        Option<string?> Source, Option<bool> Follow, Option<string?> Pace, Option<string?> HostName, Option<string?> AuditMode,
        Option<uint?> BacklogLimit, Option<string?> ReconcileEvery, Option<bool> NoDocker, Option<string[]> Aggregators,
        Option<string?> Record, Option<string?> ExitSource, Option<string?> ArgvCap)
    {
        /// <summary>The flags given, as a settings layer over appsettings.json and the environment (--aggregator is the agent's own).</summary>
        public SettingsLayer Flags(ParseResult parse) => new SettingsLayer()
            .Set("Agent:Source", parse.GetValue(Source))
            .Set("Agent:Follow", parse.GetValue(Follow), "true")
            .Set("Agent:Pace", parse.GetValue(Pace))
            .Set("Agent:HostName", parse.GetValue(HostName))
            .Set("Agent:AuditMode", parse.GetValue(AuditMode))
            .Set("Agent:BacklogLimit", parse.GetValue(BacklogLimit)?.ToString(CultureInfo.InvariantCulture))
            .Set("Agent:ReconcileEvery", parse.GetValue(ReconcileEvery))
            .Set("Agent:Docker", parse.GetValue(NoDocker), "false")
            .Set("Agent:Record", parse.GetValue(Record))
            .Set("Agent:ExitSource", parse.GetValue(ExitSource))
            .Set("Agent:ArgvCap", parse.GetValue(ArgvCap));
    }

    public static Options CreateOptions() => new(
        new Option<string?>("--source") { Description = "netlink (default: this host's kernel), file:PATH (an auditd raw log), or stdin (auditd plugin line format)" },
        new Option<bool>("--follow") { Description = "with file:PATH, keep reading as the file grows, across rotation" },
        new Option<string?>("--pace") { Description = "with file:PATH or stdin: 'event-time' releases records as fast as their timestamps advance, like a live host; 'none' (default) reads at full speed" },
        new Option<string?>("--host-name") { Description = "the name this host is reported under (default: the machine name; GODO_HOST_NAME)" },
        new Option<string?>("--audit-mode") { Description = "auto (default), unicast (become the audit daemon) or multicast (read beside auditd)" },
        new Option<uint?>("--backlog-limit") { Description = "kernel audit backlog_limit while godo runs (default 8192)" },
        new Option<string?>("--reconcile-every") { Description = "how often the tree is checked against /proc (default 30s; 0 turns it off)" },
        new Option<bool>("--no-docker") { Description = "do not ask the Docker Engine for container names and images" },
        new Option<string[]>("--aggregator") { Description = "an aggregator to report to, akka.tcp://godo@HOST:PORT; repeat for several (GODO_AGGREGATORS, comma-separated)", AllowMultipleArgumentsPerToken = false },
        new Option<string?>("--record") { Description = "with netlink: also write every audit record received to FILE, as a raw audit log (`godo replay FILE` reads it)" },
        new Option<string?>("--exit-source") { Description = "with netlink: auto (default) also reads every exit from the kernel's process events connector when it can; audit relies on audit's rules alone (GODO_EXIT_SOURCE)" },
        ByteSize.ArgvCapOption());

    public static Command Create()
    {
        var o = CreateOptions();
        var printEvery = new Option<string?>("--print-every") { Description = "print the tree every interval, e.g. 5s (default: only at exit when no aggregator is given)" };
        var json = new Option<bool>("--json") { Description = "print trees as JSON documents (the replay/API schema)" };
        var remoteHost = new Option<string?>("--remote-host") { Description = "with --aggregator: address the agent's remoting binds (default 127.0.0.1 when every aggregator is on loopback, else 0.0.0.0)" };
        var remotePort = new Option<int?>("--remote-port") { Description = "with --aggregator: the agent's remoting port (default 0: any free port)" };
        var publishBuffer = new Option<string?>("--publish-buffer") { Description = "with --aggregator: deltas held while no aggregator answers, e.g. 8MiB (default); past it a fresh snapshot replaces them (GODO_PUBLISH_BUFFER)" };
        var publicHost = new Option<string?>("--public-host") { Description = "with --aggregator: address the aggregators reach this agent at, when it differs from --remote-host (default for 0.0.0.0: the machine name)" };
        var tls = TlsSection.Options.Create("agent, named as --host-name");
        var cmd = new Command("agent", "Keep the exact live process tree of this Docker host (or of an audit log) and report it to aggregators.")
        {
            o.Source, o.Follow, o.Pace, o.HostName, o.AuditMode, o.BacklogLimit, o.ReconcileEvery, o.NoDocker, o.Aggregators, o.Record, o.ExitSource, o.ArgvCap, printEvery, json,
            remoteHost, remotePort, publicHost, publishBuffer,
        };
        foreach (var option in tls.All) cmd.Options.Add(option);
        cmd.SetAction(async (parse, ct) =>
        {
            var flags = o.Flags(parse).SetList("Agent:Aggregators", parse.GetValue(o.Aggregators))
                .Set("Agent:RemoteHost", parse.GetValue(remoteHost))
                .Set("Agent:RemotePort", parse.GetValue(remotePort)?.ToString(CultureInfo.InvariantCulture))
                .Set("Agent:PublicHost", parse.GetValue(publicHost))
                .Set("Agent:PublishBuffer", parse.GetValue(publishBuffer));
            var settings = AgentSection.Bind(GodoConfiguration.Build(tls.Flags(flags, parse)));
            TimeSpan? every = parse.GetValue(printEvery) is { } p ? Duration.Parse(p, "--print-every") : null;
            var stats = new PipelineStats();
            var critical = new CriticalActors();
            NativeHeap.LimitArenas();
            using var host = BuildHost(settings, stats, critical, (builder, _) =>
            {
                // --aggregator: report the tree to the aggregators (ClusterClient, snapshot + deltas + heartbeats)
                if (settings.Aggregators.Count > 0)
                    builder.AddAggregatorPublisher(new PublisherSettings
                    {
                        HostName = settings.HostName, Aggregators = settings.Aggregators, Tls = settings.Tls,
                        RemoteHost = settings.RemoteHost, RemotePort = settings.RemotePort, PublicHost = settings.PublicHost,
                        Stats = AgentStatsSampler.FromPipeline(stats, settings.SourceText),
                        BufferBytes = settings.PublishBufferBytes,
                    });
            });
            return await RunAsync(host, critical, every, parse.GetValue(json), ct);
        });
        return cmd;
    }

    /// <summary>The agent's host: its actors (plus whatever <paramref name="extra"/> adds, e.g. a publisher or an aggregator) and its record source.</summary>
    private static IHost BuildHost(AgentSettings settings, PipelineStats stats, CriticalActors critical, Action<AkkaConfigurationBuilder, IServiceProvider> extra) =>
        new HostBuilder()
            .ConfigureLogging(l => l.AddGodoConsole())
            .ConfigureServices(services =>
            {
                services.AddAkka(Godo.Messages.GodoConstants.ActorSystemName, (b, sp) =>
                {
                    b.AddCriticalWatch(sp.GetRequiredService<CriticalActors>());
                    b.AddAgent(settings, stats);
                    extra(b, sp);
                });
                services.AddAuditSource(settings, stats);
                services.AddSingleton(critical);
            })
            .Build();

    private static async Task<int> RunAsync(IHost host, CriticalActors critical, TimeSpan? printEvery, bool json, CancellationToken ct)
    {
        try
        {
            await host.StartAsync(ct);
        }
        catch (AuditPermissionException e)
        {
            throw new UsageException(e.Message);
        }
        catch (AuditModeUnavailableException e)
        {
            throw new UsageException(e.Message);
        }
        catch (AuditSessionTakenException e)
        {
            throw new UsageException(e.Message);
        }
        NativeHeap.TrimAfter(TimeSpan.FromSeconds(15));
        // Whatever happens from here on (a signal, a failed print), the host is stopped, so the kernel audit state is restored.
        try
        {
            var tree = await host.Services.GetRequiredService<IRequiredActor<ProcessTreeActor>>().GetAsync(ct);
            var system = host.Services.GetRequiredService<ActorSystem>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping, critical.Failed);
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(printEvery ?? Timeout.InfiniteTimeSpan, stop.Token);
                    await Print(tree, json);
                }
            }
            catch (OperationCanceledException) { }
            // A SIGTERM can reach the host's console lifetime (and Akka's shutdown) before the command's token:
            // then the actor system is gone and there is no tree left to print.
            if (printEvery is null && !ct.IsCancellationRequested && !system.WhenTerminated.IsCompleted) await Print(tree, json);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
        // Restarted by its supervisor, the agent re-reads /proc and sends a new incarnation's snapshot.
        if (critical.Failure is { } failure) throw new InvalidOperationException($"{failure}; exiting so the agent is started afresh");
        return CommandLine.Ok;
    }

    private static async Task Print(IActorRef tree, bool json)
    {
        var doc = await tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(10));
        Console.Out.WriteLine(json ? JsonSerializer.Serialize(doc, GodoJsonContext.Default.HostTree) : TreeRenderer.Render(doc));
    }
}
