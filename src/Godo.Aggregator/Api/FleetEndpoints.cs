using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Godo.Aggregator.Fleet;
using Godo.Aggregator.Ops;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godo.Aggregator.Api;

/// <summary>The fleet endpoints: hosts, trees, containers, processes, and the event feed.</summary>
public static class FleetEndpoints
{
    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/hosts", (FleetState fleet) => Results.Json(fleet.Hosts()));

        app.MapGet("/api/hosts/{host}", (FleetState fleet, string host) =>
            fleet.Get(host) is { } h ? Results.Json(h.Summary()) : UnknownHost(host));

        app.MapGet("/api/hosts/{host}/tree", (HttpContext ctx, FleetState fleet, History.HistoryStore history, string host) =>
        {
            if (Query(ctx, "at") is { } at) return HistoryEndpoints.TreeAt(fleet, history, host, at);
            if (!Flag(ctx, "includeExited", out var includeExited, out var bad)) return bad!;
            if (fleet.Get(host) is not { } h) return UnknownHost(host);
            if (h.TreeReleased)
                return ApiError.Gone($"host '{host}' is down (since {h.DownSince:u}): its tree is no longer held, only its summary (GET /api/hosts/{host}); it comes back with its agent");
            // Exactly the document of `godo replay --json` (the public schema's own serializer).
            return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(h.ToTree(includeExited), GodoJsonContext.Default.HostTree), "application/json");
        });

        app.MapGet("/api/containers", (HttpContext ctx, FleetState fleet) =>
        {
            var host = Query(ctx, "host");
            if (host is not null && fleet.Get(host) is null) return UnknownHost(host);
            return Results.Json(fleet.Containers(host));
        });

        app.MapGet("/api/containers/{key}", (HttpContext ctx, FleetState fleet, string key) =>
        {
            var host = Query(ctx, "host");
            if (host is not null && fleet.Get(host) is null) return UnknownHost(host);
            var found = fleet.FindContainer(key, host);
            if (found.Detail is { } d) return Results.Json(d);
            if (found.Ambiguous.Count > 0)
                return ApiError.Conflict($"'{key}' matches {found.Ambiguous.Count} containers: give more of the id, or --host", found.Ambiguous);
            return ApiError.NotFound($"no container '{key}'" + (host is null ? " in the fleet" : $" on host '{host}'"));
        });

        app.MapGet("/api/processes", (HttpContext ctx, FleetState fleet, History.HistoryStore history) =>
        {
            var host = Query(ctx, "host");
            var container = Query(ctx, "container");
            var limitText = Query(ctx, "limit");
            var limit = 10_000;
            if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1_000_000))
                return ApiError.BadRequest($"bad limit '{limitText}': give a number from 1 to 1000000");
            if (Query(ctx, "from") is not null || Query(ctx, "to") is not null) return HistoryEndpoints.Window(ctx, fleet, history, limit);
            if (host is not null && fleet.Get(host) is null) return UnknownHost(host);
            if (container is not null)
            {
                var found = fleet.FindContainer(container, host);
                if (found.Detail is null)
                    return found.Ambiguous.Count > 0
                        ? ApiError.Conflict($"'{container}' matches {found.Ambiguous.Count} containers", found.Ambiguous)
                        : ApiError.NotFound($"no container '{container}'");
                container = found.Detail.Container.Id;
                host ??= found.Detail.Host;
            }
            var names = fleet.Containers(host).ToDictionary(c => (c.Host, c.Id), c => c.Name);
            var rows = fleet.Processes(new ProcessQuery(host, container, Query(ctx, "exe"), Query(ctx, "argv"), limit))
                .Select(v => Row(v, names.GetValueOrDefault((v.Host, v.Process.Container ?? ""))));
            return Results.Json(rows);
        });

        app.MapGet("/api/events", (HttpContext ctx, FleetFeed feed) =>
        {
            var host = Query(ctx, "host");
            var container = Query(ctx, "container");
            var kinds = Query(ctx, "kind")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            var recentText = Query(ctx, "recent");
            var recent = 0;
            if (recentText is not null && (!int.TryParse(recentText, NumberStyles.None, CultureInfo.InvariantCulture, out recent) || recent > 100_000))
                return ApiError.BadRequest($"bad recent '{recentText}': give a number from 0 to 100000").ExecuteAsync(ctx);
            // Notices of loss (dropped) concern the host's execs and exits: they pass a kind filter that asks for either.
            Func<FleetEvent, bool> filter = e => (host is null || e.Host == host)
                && (container is null || e.Kind == FleetEventKinds.Dropped
                    || (e.Container is { } c && (c.StartsWith(container, StringComparison.OrdinalIgnoreCase) || e.ContainerName?.TrimStart('/') == container.TrimStart('/'))))
                && (kinds is null || kinds.Contains(e.Kind)
                    || (e.Kind == FleetEventKinds.Dropped && (kinds.Contains(FleetEventKinds.Exec) || kinds.Contains(FleetEventKinds.Exit))));
            var (sub, history) = feed.Subscribe(recent, filter);
            return ServerSentEvents.StreamAsync(ctx, sub, filter, e => e.Kind, history,
                dropped => new FleetEvent
                {
                    Kind = FleetEventKinds.Overflow, Host = "", At = DateTimeOffset.UtcNow, Dropped = dropped,
                    Reason = $"this client read too slowly: more than {feed.Options.ClientBytes} bytes of events were waiting for it",
                }, feed.Options.OverflowGrace);
        });
        return app;
    }

    private static ProcessRow Row(ProcessView v, string? containerName)
    {
        var p = v.Process;
        return new ProcessRow(v.Host, p.Pid, p.Ppid, p.Comm, p.Exe, p.Argv.IsDefault ? [] : p.Argv, p.Cwd, p.Uid, p.Container, containerName, p.NsPid, p.StartedAt, p.User,
            p.ArgvTruncated, p.ArgvBytes, p.ArgvCount);
    }

    internal static IResult UnknownHost(string host) => ApiError.NotFound($"unknown host '{host}'");

    internal static string? Query(HttpContext ctx, string name) =>
        ctx.Request.Query.TryGetValue(name, out var v) && v.ToString() is { Length: > 0 } s ? s : null;

    private static bool Flag(HttpContext ctx, string name, out bool value, out IResult? bad)
    {
        bad = null;
        value = false;
        var text = Query(ctx, name);
        if (text is null) return true;
        if (bool.TryParse(text, out value)) return true;
        if (text is "1" or "0") { value = text == "1"; return true; }
        bad = ApiError.BadRequest($"bad {name} '{text}': give true or false");
        return false;
    }
}
