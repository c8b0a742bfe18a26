using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.FileProviders;

namespace Godo.Aggregator.Api;

/// <summary>
/// A known path asked with a method it does not take gets a JSON 405 with <c>Allow</c>: routing alone would give the
/// /api fallback's 404, an empty 405 elsewhere, and nothing at all for the dashboard's files.
/// </summary>
public static class MethodNotAllowed
{
    private static readonly string[] FileMethods = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>After routing: <paramref name="files"/> is the dashboard, when served.</summary>
    public static WebApplication UseMethodNotAllowed(this WebApplication app, IFileProvider? files)
    {
        var routes = new Lazy<(TemplateMatcher Matcher, IReadOnlyList<string> Methods)[]>(() => ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 })
            .Select(e => (new TemplateMatcher(new RouteTemplate(e.RoutePattern), new RouteValueDictionary()), e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods))
            .ToArray());
        app.Use(async (ctx, next) =>
        {
            // A matched endpoint that names its methods took this one; the rest (fallbacks, routing's own 405, files) are checked.
            if (ctx.GetEndpoint()?.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 }) { await next(ctx); return; }
            var path = ctx.Request.Path;
            var allowed = routes.Value.Where(r => r.Matcher.TryMatch(path, new RouteValueDictionary())).SelectMany(r => r.Methods)
                .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (allowed.Count == 0 && files is not null && (path == "/" || (path.HasValue && files.GetFileInfo(path.Value!).Exists)))
                allowed.AddRange(FileMethods);
            if (allowed.Count > 0 && !allowed.Contains(ctx.Request.Method, StringComparer.OrdinalIgnoreCase))
            {
                ctx.Response.Headers.Allow = string.Join(", ", allowed);
                await RequestGuards.Refuse(ctx, 405, $"{ctx.Request.Method} is not allowed on {path}: use {string.Join(" or ", allowed)}");
                return;
            }
            await next(ctx);
        });
        return app;
    }
}
