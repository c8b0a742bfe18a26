using System.CommandLine;
using Godo.Aggregator;
using Godo.Aggregator.Hosting;
using Godo.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Godo.Cli.Commands;

/// <summary>`godo aggregator`: a cluster member that merges the agents' trees and serves the HTTP API.</summary>
public static class AggregatorCommand
{
    public static Command Create()
    {
        var remoteHost = new Option<string?>("--remote-host") { Description = "address Akka.Remote binds and advertises (default 127.0.0.1; GODO_REMOTE_HOST)" };
        var remotePort = new Option<int?>("--remote-port") { Description = $"Akka.Remote port (default {GodoConstants.DefaultRemotePort}; 0 = any free port; GODO_REMOTE_PORT)" };
        var publicHost = new Option<string?>("--public-host") { Description = "address others use to reach this node, when it differs from --remote-host (GODO_PUBLIC_HOST)" };
        var seeds = new Option<string[]>("--seed") { Description = "a seed node, akka.tcp://godo@HOST:PORT; repeat for several (GODO_SEEDS, comma-separated). None: start a new cluster", AllowMultipleArgumentsPerToken = false };
        var http = new Option<string?>("--http") { Description = $"URL the HTTP API listens on (default {GodoConstants.DefaultHttpUrl}; GODO_HTTP). Off loopback it needs a token" };
        var token = new Option<string?>("--api-token") { Description = $"bearer token required on every API request ({GodoConstants.ApiTokenVariable})" };
        var staleAfter = new Option<string?>("--stale-after") { Description = "a host without heartbeat for this long is stale (seconds; default 6)" };
        var downAfter = new Option<string?>("--down-after") { Description = "a host without heartbeat for this long is down (seconds; default 30)" };
        var retention = new Option<string?>("--retention") { Description = "how long down hosts stay visible (seconds or hh:mm:ss; default 1h)" };
        var cmd = new Command("aggregator", "Run an aggregator: a cluster member that merges the agents' process trees and serves the HTTP API.")
        {
            remoteHost, remotePort, publicHost, seeds, http, token, staleAfter, downAfter, retention,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            AggregatorSettings settings;
            WebApplication app;
            try
            {
                settings = AggregatorSettings.Bind(LoadConfiguration());
                settings = settings with
                {
                    RemoteHost = parse.GetValue(remoteHost) ?? settings.RemoteHost,
                    RemotePort = parse.GetValue(remotePort) ?? settings.RemotePort,
                    PublicHost = parse.GetValue(publicHost) ?? settings.PublicHost,
                    Seeds = parse.GetValue(seeds) is { Length: > 0 } s ? s : settings.Seeds,
                    HttpUrl = parse.GetValue(http) ?? settings.HttpUrl,
                    ApiToken = parse.GetValue(token) ?? settings.ApiToken,
                    StaleAfter = AggregatorSettings.Time(parse.GetValue(staleAfter), "--stale-after") ?? settings.StaleAfter,
                    DownAfter = AggregatorSettings.Time(parse.GetValue(downAfter), "--down-after") ?? settings.DownAfter,
                    Retention = AggregatorSettings.Time(parse.GetValue(retention), "--retention") ?? settings.Retention,
                };
                if (settings.RemotePort is < 0 or > 65535) throw new AggregatorConfigException($"bad --remote-port {settings.RemotePort}");
                app = AggregatorWeb.Build(settings);
            }
            catch (AggregatorConfigException e) { throw new UsageException(e.Message); }
            await RunAsync(app, settings, ct);
            return CommandLine.Ok;
        });
        return cmd;
    }

    /// <summary>appsettings.json next to the executable (optional); the GODO_* variables are read by <see cref="AggregatorSettings.Bind"/>.</summary>
    public static IConfiguration LoadConfiguration() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables("GODO_")
        .Build();

    /// <summary>Runs until Ctrl+C/SIGTERM (a graceful leave through CoordinatedShutdown) or until the node leaves.</summary>
    public static async Task RunAsync(WebApplication app, AggregatorSettings settings, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"cannot listen on {settings.HttpUrl}: {e.Message}");
        }
        var akka = app.Services.GetService(typeof(Akka.Actor.ActorSystem)) as Akka.Actor.ActorSystem;
        var self = akka is null ? "" : Akka.Cluster.Cluster.Get(akka).SelfAddress.ToString();
        Console.Error.WriteLine($"godo aggregator {self} serving {settings.HttpUrl}" + (settings.Seeds.Count > 0 ? $", seeds {string.Join(", ", settings.Seeds)}" : ", new cluster"));
        await app.WaitForShutdownAsync(ct);
        await app.DisposeAsync();
    }
}
