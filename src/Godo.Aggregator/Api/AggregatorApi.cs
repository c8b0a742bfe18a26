using System.Diagnostics;
using Godo.Aggregator.Ops;
using Godo.Messages.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace Godo.Aggregator.Api;

/// <summary>
/// The aggregator's HTTP side: the /api endpoints, the ops endpoints (/ops/actors, /healthz/live, /healthz/ready,
/// /metrics), the token rule, and the dashboard's static files at / when a wwwroot folder exists.
/// </summary>
public static class AggregatorApi
{
    private static readonly HttpMethodMetadata ProbeMethods = new([HttpMethods.Get, HttpMethods.Head]);

    /// <summary>Middleware (errors as JSON, Host and security headers, token, 405, same-origin writes, latency) and every endpoint.</summary>
    public static WebApplication MapAggregatorApi(this WebApplication app, AggregatorSettings settings)
    {
        var metrics = app.Services.GetRequiredService<AggregatorMetrics>();

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
        app.UseRequestGuards(settings);

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

        var webRoot = settings.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var files = Directory.Exists(webRoot) ? new PhysicalFileProvider(Path.GetFullPath(webRoot)) : null;
        app.UseMethodNotAllowed(files);
        app.UseSameOriginWrites();

        app.Use(async (ctx, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            await next(ctx);
            if (ctx.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } && !pattern.EndsWith("/events", StringComparison.Ordinal))
                metrics.ApiLatency.WithLabels(pattern, ctx.Response.StatusCode.ToString()).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        });

        if (files is not null)
        {
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        app.MapFleetApi();
        app.MapHistoryApi();
        app.MapClusterApi();
        app.MapOpsApi();
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("liveness") }).WithMetadata(ProbeMethods);
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") || c.Tags.Contains("readiness") }).WithMetadata(ProbeMethods);
        // Unknown API paths get a JSON 404; anything else falls through to the static files (the dashboard).
        app.MapFallback("/api/{**path}", (HttpContext ctx) => ApiError.NotFound($"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}"));
        app.MapFallback("/ops/{**path}", (HttpContext ctx) => ApiError.NotFound($"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}"));
        return app;
    }
}
