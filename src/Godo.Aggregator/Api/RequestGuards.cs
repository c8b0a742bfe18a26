using System.Net;
using Godo.Messages.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godo.Aggregator.Api;

/// <summary>
/// What keeps other web pages out of the API, loopback included: a browser on this machine runs pages from anywhere.
/// A Host check (a DNS-rebinding page reaches 127.0.0.1 under its own name), cross-site POSTs refused (a page may
/// send a form or a text/plain fetch anywhere without asking), and response headers that forbid framing, sniffing,
/// referrers and any script or style not served by the aggregator itself.
/// </summary>
public static class RequestGuards
{
    /// <summary>
    /// The page is ES modules and a stylesheet from the aggregator: no inline script or style, nothing from elsewhere.
    /// Images may be data: URIs (the favicon is one); an image cannot run script.
    /// </summary>
    public const string ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The guards, first in the pipeline (before the token: a foreign page learns nothing, not even that one is needed).</summary>
    public static WebApplication UseRequestGuards(this WebApplication app, AggregatorSettings settings)
    {
        var hosts = new HostRule(settings.HttpUrl, settings.HttpHosts);
        app.Use(async (ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                var h = ctx.Response.Headers;
                h.ContentSecurityPolicy = ContentSecurityPolicy;
                h.XFrameOptions = "DENY";
                h.XContentTypeOptions = "nosniff";
                h["Referrer-Policy"] = "no-referrer";
                h["Cross-Origin-Resource-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            // Probes send whatever address they dialled (a pod IP); the health checks reveal nothing.
            if (!ctx.Request.Path.StartsWithSegments("/healthz") && !hosts.Allows(ctx))
            {
                await Refuse(ctx, 421, $"this aggregator does not serve the host '{ctx.Request.Host}': use its address, or add the name with --http-host");
                return;
            }
            await next(ctx);
        });
        return app;
    }

    /// <summary>
    /// A request that changes something (every method but GET and HEAD) must come from the dashboard's own origin or
    /// from no browser at all, and carry JSON: a cross-site page cannot send application/json without a CORS preflight,
    /// which the API never grants. Runs after routing and the token, so a wrong method is a 405 first.
    /// </summary>
    public static WebApplication UseSameOriginWrites(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            var request = ctx.Request;
            // Reads, and paths that do nothing (the /api fallback's 404), go on.
            if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
                || ctx.GetEndpoint()?.Metadata.GetMetadata<IHttpMethodMetadata>() is null) { await next(ctx); return; }
            if (CrossSite(request) is { } why) { await Refuse(ctx, 403, $"cross-site request refused: {why}"); return; }
            if (!request.HasJsonContentType()) { await Refuse(ctx, 415, $"{request.Method} needs 'Content-Type: application/json'"); return; }
            await next(ctx);
        });
        return app;
    }

    /// <summary>Why this request comes from another site, or null when it comes from the page itself or from no browser.</summary>
    private static string? CrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none")) return $"Sec-Fetch-Site is '{site}'";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return null;
        // The authority, not the scheme: behind a TLS-terminating proxy the page is https and the request http.
        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)) return null;
        return $"Origin '{origin}' is not this aggregator";
    }

    internal static Task Refuse(HttpContext ctx, int status, string message) =>
        Results.Json(new ApiError(message, status), statusCode: status).ExecuteAsync(ctx);

    /// <summary>The Host headers the API answers: its bound address, localhost on loopback, and the configured names.</summary>
    private sealed class HostRule
    {
        private readonly HashSet<string> _boundNames = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _anyPort = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _withPort = new(StringComparer.OrdinalIgnoreCase);

        public HostRule(string urls, IReadOnlyList<string> configured)
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri)) _boundNames.Add(uri.Host);
            foreach (var name in configured)
            {
                var host = ParseName(name);
                if (host.Port is null) _anyPort.Add(host.Host);
                else _withPort.Add($"{host.Host}:{host.Port}");
            }
        }

        /// <summary>A --http-host: a name or address, with an optional port; nothing else.</summary>
        private static HostString ParseName(string name)
        {
            var host = new HostString(name.Trim());
            if (host.Host.Length == 0 || name.Contains('/') || name.Contains('@')
                || !Uri.TryCreate($"http://{host.Value}/", UriKind.Absolute, out var uri) || uri.PathAndQuery != "/")
                throw new AggregatorConfigException($"bad --http-host '{name}': give a host name, e.g. godo.example.com or godo.example.com:8443");
            return host;
        }

        public bool Allows(HttpContext ctx)
        {
            var given = ctx.Request.Host;
            // HTTP/1.0 without a Host: no browser sends that, so no page can be behind it.
            if (!given.HasValue) return true;
            var name = given.Host;
            if (_anyPort.Contains(name)) return true;
            var port = given.Port ?? (ctx.Request.IsHttps ? 443 : 80);
            if (_withPort.Contains($"{name}:{port}")) return true;
            if (port != ctx.Connection.LocalPort) return false;
            if (_boundNames.Contains(name)) return true;
            // An address literal cannot be rebound: it is the one the request came in on (0.0.0.0 binds every one).
            var local = ctx.Connection.LocalIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : ctx.Connection.LocalIpAddress;
            if (local is null) return false;
            if (IPAddress.TryParse(name.Trim('[', ']'), out var ip)) return ip.Equals(local) || (IPAddress.IsLoopback(ip) && IPAddress.IsLoopback(local));
            return IPAddress.IsLoopback(local) && name.Equals("localhost", StringComparison.OrdinalIgnoreCase);
        }
    }
}
