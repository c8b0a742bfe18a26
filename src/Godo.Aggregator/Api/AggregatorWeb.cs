using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Godo.Aggregator.Ops;
using Godo.Messages.Api;

namespace Godo.Aggregator.Api;

/// <summary>
/// The aggregator's web side: the /api endpoints, the ops endpoints (/ops/actors, /healthz/live, /healthz/ready,
/// /metrics), the token rule, and the dashboard's static files at / when a wwwroot folder exists.
/// </summary>
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
        builder.Services.AddAkka(Godo.Messages.GodoConstants.ActorSystemName, (akka, sp) =>
        {
            akka.AddAggregator(settings);
            configureAkka?.Invoke(akka, sp);
        });
        configureWeb?.Invoke(builder);
        var app = builder.Build();
        app.MapAggregatorApi();
        return app;
    }

    /// <summary>Kestrel on <see cref="AggregatorSettings.HttpUrl"/>, JSON options, health checks, quiet logs.</summary>
    public static WebApplicationBuilder ConfigureAggregatorWeb(this WebApplicationBuilder builder, AggregatorSettings settings)
    {
        ApiSecurity.Validate(settings.HttpUrl, settings.ApiToken);
        builder.WebHost.UseUrls(settings.HttpUrl);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Services.AddSingleton(settings);
        builder.Services.AddHealthChecks();
        builder.Services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        return builder;
    }

    /// <summary>Middleware (errors as JSON, token, latency) and every endpoint.</summary>
    public static WebApplication MapAggregatorApi(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<AggregatorSettings>();
        var system = app.Services.GetRequiredService<ActorSystem>();
        // An ActorSystem that has terminated (left the cluster, or downed) takes the process with it.
        app.Lifetime.ApplicationStarted.Register(() =>
            system.WhenTerminated.ContinueWith(_ => app.Lifetime.StopApplication(), TaskScheduler.Default));

        app.Use(async (ctx, next) =>
        {
            try { await next(ctx); }
            catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
            {
                ctx.Response.Clear();
                await Results.Json(new ApiError(e.Message, e.StatusCode), statusCode: e.StatusCode).ExecuteAsync(ctx);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        });

        if (!string.IsNullOrEmpty(settings.ApiToken))
        {
            var token = settings.ApiToken;
            app.Use(async (ctx, next) =>
            {
                if (ctx.Request.Path.StartsWithSegments("/healthz")) { await next(ctx); return; }
                if (!ApiSecurity.IsAuthorized(ctx.Request, token, out var fromQuery))
                {
                    ctx.Response.Headers.WWWAuthenticate = "Bearer";
                    await Results.Json(new ApiError("missing or wrong API token: send 'Authorization: Bearer <token>'", 401), statusCode: 401).ExecuteAsync(ctx);
                    return;
                }
                if (fromQuery)
                    ctx.Response.Cookies.Append(ApiSecurity.CookieName, token, new CookieOptions
                    {
                        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = ctx.Request.IsHttps, Path = "/",
                    });
                await next(ctx);
            });
        }

        app.Use(async (ctx, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            await next(ctx);
            if (ctx.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } && !pattern.EndsWith("/events", StringComparison.Ordinal)
                && AggregatorRuntime.TryOf(system, out var rt))
                rt!.Metrics.ApiLatency.WithLabels(pattern, ctx.Response.StatusCode.ToString()).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        });

        var webRoot = settings.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(Path.GetFullPath(webRoot));
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        app.MapFleetApi();
        app.MapClusterApi();
        app.MapOpsApi();
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("liveness") });
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") || c.Tags.Contains("readiness") });
        // Unknown API paths get a JSON 404; anything else falls through to the static files (the dashboard).
        app.MapFallback("/api/{**path}", (HttpContext ctx) => ApiError.NotFound($"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}"));
        app.MapFallback("/ops/{**path}", (HttpContext ctx) => ApiError.NotFound($"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}"));
        return app;
    }

    internal static AggregatorRuntime Runtime(this HttpContext ctx) =>
        AggregatorRuntime.Of(ctx.RequestServices.GetRequiredService<ActorSystem>());
}
