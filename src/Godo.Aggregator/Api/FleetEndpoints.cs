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

        app.MapGet("/api/hosts/{host}/tree", (HttpContext ctx, FleetState fleet, string host) =>
        {
            if (!Flag(ctx, "includeExited", out var includeExited, out var bad)) return bad!;
            if (fleet.Get(host) is not { } h) return UnknownHost(host);
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

        app.MapGet("/api/processes", (HttpContext ctx, FleetState fleet) =>
        {
            var host = Query(ctx, "host");
            var container = Query(ctx, "container");
            var limitText = Query(ctx, "limit");
            var limit = 10_000;
            if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1_000_000))
                return ApiError.BadRequest($"bad limit '{limitText}': give a number from 1 to 1000000");
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

        app.MapGet("/api/events", (HttpContext ctx, Broadcaster<FleetEvent> events) =>
        {
            var host = Query(ctx, "host");
            var container = Query(ctx, "container");
            var kinds = Query(ctx, "kind")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            return ServerSentEvents.StreamAsync(ctx, events,
                e => (host is null || e.Host == host)
                     && (container is null || (e.Container is { } c && (c.StartsWith(container, StringComparison.OrdinalIgnoreCase) || e.ContainerName?.TrimStart('/') == container.TrimStart('/'))))
                     && (kinds is null || kinds.Contains(e.Kind)),
                e => e.Kind);
        });
        return app;
    }

    private static ProcessRow Row(ProcessView v, string? containerName)
    {
        var p = v.Process;
        return new ProcessRow(v.Host, p.Pid, p.Ppid, p.Comm, p.Exe, p.Argv.IsDefault ? [] : p.Argv, p.Cwd, p.Uid, p.Container, containerName, p.NsPid, p.StartedAt, p.User);
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
