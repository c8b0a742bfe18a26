using System.CommandLine;
using System.Globalization;
using Godo.Aggregator;
using Godo.Aggregator.Hosting;
using Godo.Cli.Output;
using Godo.Cli.Settings;
using Godo.Messages;
using Godo.Messages.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Godo.Cli.Commands;

/// <summary>`godo aggregator`: a cluster member that merges the agents' trees and serves the HTTP API.</summary>
public static class AggregatorCommand
{
    public sealed record Options(
        Option<string?> RemoteHost, Option<int?> RemotePort, Option<string?> PublicHost, Option<string[]> Seeds, ApiOptions Api,
        Option<string?> StaleAfter, Option<string?> DownAfter, Option<string?> Retention,
        Option<bool> InsecureRemoting, TlsSection.Options Tls, Option<string?> TreeRetention, Option<string?> ArgvCap, StorageOptions Storage)
    {
        /// <summary>The flags given, as a settings layer over appsettings.json and the environment.</summary>
        public SettingsLayer Flags(ParseResult parse) => Storage.Flags(parse, Tls.Flags(Api.Flags(parse, new SettingsLayer()), parse))
            .Set("Aggregator:InsecureRemoting", parse.GetValue(InsecureRemoting), "true")
            .Set("Aggregator:RemoteHost", parse.GetValue(RemoteHost))
            .Set("Aggregator:RemotePort", parse.GetValue(RemotePort)?.ToString(CultureInfo.InvariantCulture))
            .Set("Aggregator:PublicHost", parse.GetValue(PublicHost))
            .SetList("Aggregator:Seeds", parse.GetValue(Seeds))
            .Set("Aggregator:StaleAfter", parse.GetValue(StaleAfter))
            .Set("Aggregator:DownAfter", parse.GetValue(DownAfter))
            .Set("Aggregator:Retention", parse.GetValue(Retention))
            .Set("Aggregator:TreeRetention", parse.GetValue(TreeRetention))
            .Set("Aggregator:ArgvCap", parse.GetValue(ArgvCap));
    }

    public static Options CreateOptions() => new(
        new Option<string?>("--remote-host") { Description = "address Akka.Remote binds and advertises (default 127.0.0.1; GODO_REMOTE_HOST)" },
        new Option<int?>("--remote-port") { Description = $"Akka.Remote port (default {GodoConstants.DefaultRemotePort}; 0 = any free port; GODO_REMOTE_PORT)" },
        new Option<string?>("--public-host") { Description = "address others use to reach this node, when it differs from --remote-host (GODO_PUBLIC_HOST)" },
        new Option<string[]>("--seed") { Description = "a seed node, akka.tcp://godo@HOST:PORT; repeat for several (GODO_SEEDS, comma-separated). None: start a new cluster", AllowMultipleArgumentsPerToken = false },
        ApiOptions.Create(),
        new Option<string?>("--stale-after") { Description = "a host without heartbeat for this long is stale (seconds; default 6)" },
        new Option<string?>("--down-after") { Description = "a host without heartbeat for this long is down (seconds; default 30)" },
        new Option<string?>("--retention") { Description = "how long down hosts stay visible (seconds or hh:mm:ss; default 1h)" },
        new Option<bool>("--insecure-remoting") { Description = "allow remoting off loopback without TLS (GODO_INSECURE_REMOTING=true): anyone who reaches the port can join the cluster and feed it" },
        TlsSection.Options.Create("aggregator"),
        new Option<string?>("--tree-retention") { Description = "how long a down host's whole tree is kept, then only its summary (seconds or hh:mm:ss; default 5m = 300)" },
        new Option<string?>("--argv-cap") { Description = "argv kept per process, applied again to what agents send, e.g. 32KiB (default) or off (GODO_AGGREGATOR__ARGVCAP)" },
        StorageOptions.Create());

    public static Command Create()
    {
        var o = CreateOptions();
        var cmd = new Command("aggregator", "Run an aggregator: a cluster member that merges the agents' process trees and serves the HTTP API.")
        {
            o.RemoteHost, o.RemotePort, o.PublicHost, o.Seeds, o.StaleAfter, o.DownAfter, o.Retention, o.InsecureRemoting, o.TreeRetention, o.ArgvCap,
        };
        foreach (var option in o.Api.All) cmd.Options.Add(option);
        foreach (var option in o.Tls.All) cmd.Options.Add(option);
        foreach (var option in o.Storage.All) cmd.Options.Add(option);
        cmd.SetAction(async (parse, ct) =>
        {
            var settings = AggregatorSection.Bind(GodoConfiguration.Build(o.Flags(parse)));
            NativeHeap.LimitArenas();
            WebApplication app;
            try { app = AggregatorWeb.Build(settings, configureWeb: web => web.Logging.AddGodoConsole()); }
            catch (AggregatorConfigException e) { throw new UsageException(e.Message); }
            await RunAsync(app, settings, ct);
            return CommandLine.Ok;
        });
        return cmd;
    }

    /// <summary>Runs until Ctrl+C/SIGTERM (a graceful leave through CoordinatedShutdown) or until the node leaves.</summary>
    private static async Task RunAsync(WebApplication app, AggregatorSettings settings, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct);
            NativeHeap.TrimAfter(TimeSpan.FromSeconds(15));
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException(e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                ? $"cannot listen on {settings.HttpUrl}: the port is in use (another godo?); choose another with --http"
                : $"cannot listen on {settings.HttpUrl}: {e.Message}");
        }
        var akka = app.Services.GetService(typeof(Akka.Actor.ActorSystem)) as Akka.Actor.ActorSystem;
        var self = akka is null ? "" : Akka.Cluster.Cluster.Get(akka).SelfAddress.ToString();
        Console.Error.WriteLine($"godo aggregator {self} serving {settings.HttpUrl}" + (settings.Seeds.Count > 0 ? $", seeds {string.Join(", ", settings.Seeds)}" : ", new cluster"));
        await app.WaitForShutdownAsync(ct);
        var failure = app.Services.GetService(typeof(CriticalActors)) is CriticalActors { Failure: { } f } ? f : null;
        await app.DisposeAsync();
        if (failure is not null) throw new InvalidOperationException($"{failure}; exiting so the aggregator is started afresh");
    }
}
