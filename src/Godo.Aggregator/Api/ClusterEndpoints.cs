using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.Ingest;
using Godo.Aggregator.Ops;
using Godo.Messages.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godo.Aggregator.Api;

/// <summary>The cluster endpoints that replace Petabridge.Cmd's `cluster show|leave|down|tail`.</summary>
public static class ClusterEndpoints
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cluster", (ActorSystem system, HostDirectory fleet, ConnectedClients clients) => Results.Json(Show(system, fleet, clients)));

        app.MapPost("/api/cluster/leave", async (HttpContext ctx, ActorSystem system) =>
        {
            var cluster = Cluster.Get(system);
            var (address, error) = await AddressOf(ctx, required: false);
            if (error is not null) return error;
            address ??= cluster.SelfAddress;
            if (!IsMember(cluster, address)) return ApiError.NotFound($"{address} is not a member of this cluster");
            cluster.Leave(address);
            return Results.Json(new ClusterActionResult("leave", address.ToString()), statusCode: 202);
        });

        app.MapPost("/api/cluster/down", async (HttpContext ctx, ActorSystem system) =>
        {
            var cluster = Cluster.Get(system);
            var (address, error) = await AddressOf(ctx, required: true);
            if (error is not null) return error;
            if (!IsMember(cluster, address!)) return ApiError.NotFound($"{address} is not a member of this cluster");
            cluster.Down(address!);
            return Results.Json(new ClusterActionResult("down", address!.ToString()), statusCode: 202);
        });

        app.MapGet("/api/cluster/events", (HttpContext ctx, ActorSystem system, HostDirectory fleet, ConnectedClients clients, Broadcaster<ClusterEventInfo> events) =>
        {
            var view = Show(system, fleet, clients);
            var initial = view.Members.Select(m => new ClusterEventInfo("member-" + m.Status, m.Address, m.Roles, m.Status, DateTimeOffset.UtcNow))
                .Concat(view.Unreachable.Select(a => new ClusterEventInfo("unreachable", a, [], null, DateTimeOffset.UtcNow)))
                .ToList();
            return ServerSentEvents.StreamAsync(ctx, events.Subscribe(), _ => true, e => e.Kind, initial,
                dropped => new ClusterEventInfo("overflow", $"{dropped} events not sent: the client read too slowly", [], null, DateTimeOffset.UtcNow));
        });
        return app;
    }

    private static ClusterView Show(ActorSystem system, HostDirectory fleet, ConnectedClients clients)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Concat(state.Unreachable.Where(u => !state.Members.Contains(u)))
            .Select(m => new ClusterMemberView(m.Address.ToString(), m.Roles.OrderBy(r => r).ToList(), m.Status.ToString().ToLowerInvariant(),
                !unreachable.Contains(m.Address), m.Address.Equals(state.Leader), m.Address.Equals(cluster.SelfAddress), m.AppVersion.ToString()))
            .OrderBy(m => m.Address, StringComparer.Ordinal).ToList();
        var now = DateTimeOffset.UtcNow;
        var agents = fleet.Hosts().Select(h => new AgentView(
            h.Host, h.AgentAddress, h.Status.ToString().ToLowerInvariant(), NullIfEmpty(h.Stats.Version),
            h.Stats.StartedAt == default ? null : h.Stats.StartedAt,
            h.Stats.StartedAt == default ? null : Math.Round((now - h.Stats.StartedAt).TotalSeconds, 1),
            h.LastSeen, NullIfEmpty(h.Stats.Source),
            h.AgentAddress is { } a && clients.Contains(a))).ToList();
        return new ClusterView(cluster.SelfAddress.ToString(), state.Leader?.ToString(), cluster.SelfMember.Status.ToString().ToLowerInvariant(),
            members, unreachable.Select(a => a.ToString()).ToList(), agents);
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static bool IsMember(Cluster cluster, Address address) =>
        cluster.State.Members.Any(m => m.Address.Equals(address)) || cluster.State.Unreachable.Any(m => m.Address.Equals(address));

    /// <summary>The address from ?address=, or a JSON body {"address": "..."}.</summary>
    private static async Task<(Address?, IResult?)> AddressOf(HttpContext ctx, bool required)
    {
        var text = FleetEndpoints.Query(ctx, "address");
        if (text is null && ctx.Request.ContentLength is > 0 or null && ctx.Request.HasJsonContentType())
        {
            try
            {
                var body = await JsonSerializer.DeserializeAsync<AddressRequest>(ctx.Request.Body, new JsonSerializerOptions(JsonSerializerDefaults.Web), ctx.RequestAborted);
                text = body?.Address;
            }
            catch (JsonException e) { return (null, ApiError.BadRequest($"bad JSON body: {e.Message}")); }
        }
        if (string.IsNullOrWhiteSpace(text))
            return required ? (null, ApiError.BadRequest("give the member's address: ?address=akka.tcp://godo@HOST:PORT or {\"address\": ...}")) : (null, null);
        if (!MemberAddress.TryParse(text, out var address))
            return (null, ApiError.BadRequest($"bad address '{text}': give akka.tcp://godo@HOST:PORT"));
        return (address, null);
    }
}
