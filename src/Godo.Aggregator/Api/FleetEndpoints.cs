using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Godo.Aggregator.Fleet;
using Godo.Aggregator.Hosts;
using Godo.Messages.Security;
using Godo.Messages.Wire;
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
    /// <summary>
    /// When a query is sent: at once, then again 1 s and 2.5 s later (one lost with a killed member's region reaches the
    /// host's new home), each to the same asker, so an answer to any of them is taken until <see cref="EntityTimeout"/>.
    /// The gaps are the time each send is given; their sum is the whole wait.
    /// </summary>
    private static readonly TimeSpan[] EntityAttempts = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.5)];
    /// <summary>How long a query waits for a host's entity in all (it may be recovering on another member after a failover).</summary>
    public static readonly TimeSpan EntityTimeout = TimeSpan.FromTicks(EntityAttempts.Sum(a => a.Ticks));

    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder app)
    {
        // The fleet-wide views answer from this member's directory (every entity's summary and containers); a host's
        // processes from its entity, wherever it lives, through the shard region.
        app.MapGet("/api/hosts", (HostDirectory fleet) => Results.Json(fleet.Hosts()));

        // One host: fresh from its entity; from the directory while the entity does not answer (it is moving).
        app.MapGet("/api/hosts/{host}", async (HttpContext ctx, HostDirectory fleet, IRequiredActor<HostRegion> hosts, string host) =>
        {
            if (fleet.Get(host) is not { } e) return UnknownHost(host);
            var (reply, _) = await AskHost(hosts.ActorRef, new HostTreeQuery(host, SummaryOnly: true), ctx.RequestAborted);
            return Results.Json(reply?.Summary ?? e.Summary with { HeldBy = e.Member });
        });

        app.MapGet("/api/hosts/{host}/tree", async (HttpContext ctx, IRequiredActor<HostRegion> hosts, HostDirectory fleet, History.HistoryStore history, string host) =>
        {
            if (Query(ctx, "at") is { } at) return HistoryEndpoints.TreeAt(fleet, history, host, at);
            if (!Flag(ctx, "includeExited", out var includeExited, out var bad)) return bad!;
            if (HostNames.Problem(host) is not null) return UnknownHost(host);
            // Not the directory: after a restart of the whole cluster the entity recovers its tree from the journal when asked.
            var (reply, error) = await AskHost(hosts.ActorRef, new HostTreeQuery(host, includeExited), ctx.RequestAborted);
            if (error is not null) return error;
            // Exactly the document of `godo replay --json` (the public schema's own serializer).
            return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(reply!.Tree!, GodoJsonContext.Default.HostTree), "application/json");
        });

        app.MapGet("/api/containers", (HttpContext ctx, HostDirectory fleet) =>
        {
            var host = Query(ctx, "host");
            if (host is not null && fleet.Get(host) is null) return UnknownHost(host);
            return Results.Json(fleet.Containers(host));
        });

        app.MapGet("/api/containers/{key}", async (HttpContext ctx, HostDirectory fleet, IRequiredActor<HostRegion> hosts, string key) =>
        {
            var host = Query(ctx, "host");
            if (host is not null && fleet.Get(host) is null) return UnknownHost(host);
            var found = fleet.FindContainer(key, host);
            if (found.Count > 1)
                return ApiError.Conflict($"'{key}' matches {found.Count} containers: give more of the id, or --host", found);
            if (found.Count == 0 || fleet.Get(found[0].Host)?.Containers.FirstOrDefault(c => c.Id == found[0].Id) is not { } container)
                return ApiError.NotFound($"no container '{key}'" + (host is null ? " in the fleet" : $" on host '{host}'"));
            var (reply, error) = await AskHost(hosts.ActorRef, new HostTreeQuery(found[0].Host, Container: container.Id), ctx.RequestAborted);
            if (error is not null) return error;
            return Results.Json(new ContainerDetail { Host = found[0].Host, Container = container, Processes = reply!.Tree!.Processes });
        });

        app.MapGet("/api/processes", async (HttpContext ctx, HostDirectory fleet, IRequiredActor<HostRegion> hosts, History.HistoryStore history) =>
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
                if (found.Count != 1)
                    return found.Count > 1
                        ? ApiError.Conflict($"'{container}' matches {found.Count} containers", found)
                        : ApiError.NotFound($"no container '{container}'");
                container = found[0].Id;
                host ??= found[0].Host;
            }
            // Live processes: a scatter-gather over the hosts' entities (each filters its own tree), in host order.
            var names = fleet.Containers(host).ToDictionary(c => (c.Host, c.Id), c => c.Name);
            var targets = fleet.Entries(host).Select(e => e.Summary.Host).ToList();
            var asks = targets.Select(h => AskHost(hosts.ActorRef, new HostTreeQuery(h, false, container, Query(ctx, "exe"), Query(ctx, "argv"), limit),
                ctx.RequestAborted, missingIsEmpty: true)).ToList();
            var rows = new List<ProcessRow>();
            for (var i = 0; i < asks.Count; i++)
            {
                var (reply, error) = await asks[i];
                if (error is not null) return error;
                foreach (var p in reply?.Tree?.Processes ?? [])
                    if (rows.Count < limit) rows.Add(Row(new ProcessView(targets[i], p), names.GetValueOrDefault((targets[i], p.Container ?? ""))));
            }
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

    /// <summary>
    /// The host's entity's answer, or the error to return: its 404/410 as they are (or, with <paramref name="missingIsEmpty"/>,
    /// no tree and no error), 503 when it does not answer in time (it is moving to another member, or recovering).
    /// </summary>
    internal static async Task<(HostTreeReply? Reply, IResult? Error)> AskHost(IActorRef hosts, HostTreeQuery query, CancellationToken ct,
        bool missingIsEmpty = false)
    {
        // One asker for every send: before, each attempt had its own, so an entity slower than an attempt's wait (a
        // loaded member) answered an asker that was gone, the query was sent again behind a longer queue, and after
        // 2.5 s nothing could succeed. Now a slow answer counts until the end, and the entity answers an id once.
        var asked = query with
        {
            AnswerBy = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)EntityTimeout.TotalMilliseconds,
            QueryId = Random.Shared.NextInt64(1, long.MaxValue),
        };
        using var answered = CancellationTokenSource.CreateLinkedTokenSource(ct);
        HostTreeReply reply;
        try
        {
            reply = await hosts.Ask<HostTreeReply>(asker =>
            {
                _ = SendAgain(hosts, asked, asker, answered.Token);
                return asked;
            }, EntityTimeout, ct);
        }
        catch (AskTimeoutException)
        {
            return (null, ApiError.Status(503, $"host '{query.Host}' did not answer within {EntityTimeout.TotalSeconds:0}s (its aggregator may be failing over): try again"));
        }
        finally
        {
            answered.Cancel();
        }
        if (reply.Tree is not null || reply.Summary is not null) return (reply, null);
        if (missingIsEmpty) return (null, null);
        return (null, ApiError.Status(reply.Status, reply.Problem ?? $"no tree for host '{query.Host}'"));
    }

    private static async Task SendAgain(IActorRef hosts, HostTreeQuery asked, IActorRef asker, CancellationToken answered)
    {
        try
        {
            for (var i = 0; i < EntityAttempts.Length - 1; i++)
            {
                await Task.Delay(EntityAttempts[i], answered);
                hosts.Tell(asked, asker);
            }
        }
        catch (OperationCanceledException) { } // answered, or the request went away
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
