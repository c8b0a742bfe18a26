using Akka.Actor;
using Akka.Hosting;
using Godo.Aggregator.Api;
using Godo.Messages;
using Godo.Messages.Api;
using Godo.Messages.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Aggregator.Hosting;

/// <summary>The aggregator's process: a WebApplication with the ActorSystem "godo", the shared state and the HTTP API.</summary>
public static class AggregatorWeb
{
    /// <summary>
    /// A complete aggregator (or, with <paramref name="configureAkka"/> adding an agent in local mode, a standalone
    /// godo): a WebApplication with the ActorSystem "godo" and the HTTP API. Throws
    /// <see cref="AggregatorConfigException"/> for a setting it refuses (e.g. off loopback without a token).
    /// </summary>
    public static WebApplication Build(AggregatorSettings settings, Action<AkkaConfigurationBuilder, IServiceProvider>? configureAkka = null,
        Action<WebApplicationBuilder>? configureWeb = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = [],
        });
        builder.ConfigureAggregatorWeb(settings);
        Storage.StorageCheck.Verify(settings.Storage);
        builder.Services.AddAggregatorState(settings);
        // Not ready while a critical actor (the ingest; in standalone also the agent's pipeline) is dead.
        builder.Services.AddHealthChecks().AddCheck<Godo.Aggregator.Ops.PipelineHealthCheck>("pipeline", tags: ["ready"]);
        builder.Services.AddAkka(GodoConstants.ActorSystemName, (akka, sp) =>
        {
            akka.AddCriticalWatch(sp.GetRequiredService<CriticalActors>());
            akka.AddAggregator(settings);
            configureAkka?.Invoke(akka, sp);
        });
        configureWeb?.Invoke(builder);
        var app = builder.Build();
        // An ActorSystem that has terminated (left the cluster, or downed) takes the process with it.
        var system = app.Services.GetRequiredService<ActorSystem>();
        app.Lifetime.ApplicationStarted.Register(() =>
            system.WhenTerminated.ContinueWith(_ => app.Lifetime.StopApplication(), TaskScheduler.Default));
        app.MapAggregatorApi(settings);
        return app;
    }

    /// <summary>Kestrel on <see cref="AggregatorSettings.HttpUrl"/> (HTTPS with the configured certificate), JSON options, health checks, quiet logs.</summary>
    public static WebApplicationBuilder ConfigureAggregatorWeb(this WebApplicationBuilder builder, AggregatorSettings settings)
    {
        ApiSecurity.Validate(settings.HttpUrl, settings.ApiToken);
        var certificate = ApiTls.Load(settings);
        builder.WebHost.UseUrls(settings.HttpUrl);
        if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            if (certificate is not null) k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        });
        builder.Services.AddHealthChecks();
        builder.Services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        return builder;
    }
}
