using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Akka.Hosting;
using Godo.Aggregator.History;
using Godo.Aggregator.Hosts;
using Godo.Messages.Wire;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Messages.Timing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Godo.Aggregator.Api.FleetEndpoints;

namespace Godo.Aggregator.Api;

/// <summary>
/// The queries over time (issue 11): a host's tree at T, the processes of a window, a process's lineage at T, a
/// container's life. Times are the kernel's (event time), RFC 3339 or unix seconds with an optional fraction, to the
/// millisecond as `godo replay --until` takes them.
/// </summary>
public static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/hosts/{host}/processes/{pid}", async (HttpContext ctx, HostDirectory fleet, IRequiredActor<HostRegion> hosts, HistoryStore store, string host, string pid) =>
        {
            if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p < 1)
                return ApiError.BadRequest($"bad pid '{pid}': give a process id");
            if (Query(ctx, "at") is not { } atText)
            {
                // Now: from the live tree, which the host's entity holds.
                if (fleet.Get(host) is null) return UnknownHost(host);
                var (reply, error) = await AskHost(hosts.ActorRef, new HostTreeQuery(host), ctx.RequestAborted);
                if (error is not null) return error;
                var now = reply!.Tree!;
                return Lineage(host, p, now.AsOf, now.Processes.ToDictionary(x => x.Pid));
            }
            if (!EventTimes.TryParse(atText, out var at)) return BadTime("at", atText);
            if (fleet.Get(host) is null && store.Coverage(host) is null) return UnknownHost(host);
            return store.Lineage(host, p, at) is { } lineage ? Results.Json(lineage) : ApiError.NotFound($"no process {p} on {host} at {at:O}");
        });

        app.MapGet("/api/containers/{key}/life", (HttpContext ctx, HistoryStore store, string key) =>
        {
            var host = Query(ctx, "host");
            var lives = store.ContainerLives(key.Trim(), host);
            return lives.Count > 0 ? Results.Json(lives)
                : ApiError.NotFound($"no container '{key}' in the history" + (host is null ? "" : $" of host '{host}'"));
        });
        return app;
    }

    /// <summary>`GET /api/hosts/{host}/tree?at=T`.</summary>
    internal static IResult TreeAt(HostDirectory fleet, HistoryStore store, string host, string atText)
    {
        if (!EventTimes.TryParse(atText, out var at)) return BadTime("at", atText);
        var found = store.TreeAt(host, at);
        if (found.Tree is { } tree)
            return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(tree, GodoJsonContext.Default.HostTree), "application/json");
        return fleet.Get(host) is null && store.Coverage(host) is null ? UnknownHost(host) : ApiError.NotFound(found.Missing!);
    }

    /// <summary>`GET /api/processes?...&amp;from=&amp;to=`: every process that lived in the window.</summary>
    internal static IResult Window(HttpContext ctx, HostDirectory fleet, HistoryStore store, int limit)
    {
        var fromText = Query(ctx, "from");
        var toText = Query(ctx, "to");
        var from = DateTimeOffset.MinValue;
        var to = DateTimeOffset.MaxValue;
        if (fromText is not null && !EventTimes.TryParse(fromText, out from)) return BadTime("from", fromText);
        if (toText is not null && !EventTimes.TryParse(toText, out to)) return BadTime("to", toText);
        if (to < from) return ApiError.BadRequest($"bad window: to ({toText}) is before from ({fromText})");
        var host = Query(ctx, "host");
        if (host is not null && fleet.Get(host) is null && store.Coverage(host) is null) return UnknownHost(host);
        string? containerId = null;
        if (Query(ctx, "container") is { } container)
        {
            var ids = store.FindContainers(container, host).Select(c => c.Id).Distinct().ToList();
            if (ids.Count == 0) return ApiError.NotFound($"no container '{container}' in the history");
            if (ids.Count > 1) return ApiError.Conflict($"'{container}' matches {ids.Count} containers: give more of the id", ids);
            containerId = ids[0];
        }
        var q = new HistoryQuery(from == DateTimeOffset.MinValue ? long.MinValue : HistoryRecorder.Ms(from),
            to == DateTimeOffset.MaxValue ? long.MaxValue : HistoryRecorder.Ms(to), host, containerId, Query(ctx, "exe"), Query(ctx, "argv"), limit);
        return Results.Json(store.Processes(q));
    }

    private static IResult Lineage(string host, int pid, DateTimeOffset at, Dictionary<int, ProcessInfo> byPid)
    {
        if (!byPid.TryGetValue(pid, out var self)) return ApiError.NotFound($"no process {pid} on {host}");
        var ancestors = ImmutableArray.CreateBuilder<ProcessInfo>();
        var seen = new HashSet<int> { pid };
        for (var p = self.Ppid; byPid.TryGetValue(p, out var parent) && seen.Add(p); p = parent.Ppid) ancestors.Add(parent);
        return Results.Json(new ProcessLineage(host, at, self, ancestors.ToImmutable()));
    }

    private static IResult BadTime(string name, string text) =>
        ApiError.BadRequest($"bad {name} '{text}': give {EventTimes.Forms}");
}
