using Akka.Actor;
using Godo.Aggregator.Api;
using Godo.Aggregator.Hosts;
using Godo.Messages.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godo.Aggregator.Ops;

/// <summary>/ops/actors (pbm's `actor hierarchy`), /ops/memory and /metrics (Prometheus text).</summary>
public static class OpsEndpoints
{
    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ops/actors", async (HttpContext ctx, ActorSystem system) =>
        {
            var paths = await ActorTreeCollector.CollectAsync(system, ["/user", "/system"], ctx.RequestAborted);
            return Results.Json(new ActorHierarchy(paths.Count, paths));
        });

        app.MapGet("/ops/memory", (HttpContext ctx, HostsHeld fleet) =>
        {
            var gc = FleetEndpoints.Query(ctx, "gc") is "1" or "true";
            var managed = GC.GetTotalMemory(forceFullCollection: gc);
            var processes = fleet.TotalProcesses;
            return Results.Json(new MemoryView(managed, Rss(), processes, fleet.Count, processes > 0 ? Math.Round((double)managed / processes, 1) : null));
        });

        app.MapGet("/metrics", async (HttpContext ctx, AggregatorMetrics metrics) =>
        {
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted);
        });
        return app;
    }

    /// <summary>Resident set size from /proc/self/status (Linux), in bytes.</summary>
    public static long? Rss()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
