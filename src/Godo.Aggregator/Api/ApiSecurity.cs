using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Godo.Aggregator.Api;

/// <summary>
/// The API's one rule: on loopback it may run open; bound anywhere else it refuses to start without a bearer token,
/// and with a token every request must carry it (process argv can hold secrets). Browsers, which cannot set headers
/// on a page load or an EventSource, may pass it once as ?token=..., which sets a same-site cookie.
/// </summary>
public static class ApiSecurity
{
    public const string CookieName = "godo_token";
    public const string QueryName = "token";

    /// <summary>Is every address of this URL list (';'-separated, as Kestrel takes them) a loopback one?</summary>
    public static bool IsLoopbackOnly(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(IsLoopbackUrl);

    public static bool IsLoopbackUrl(string url)
    {
        var host = HostOf(url);
        if (host is null) return false;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>Throws when the API would be reachable off this machine without a token.</summary>
    public static void Validate(string urls, string? token)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (HostOf(url) is null) throw new AggregatorConfigException($"bad HTTP URL '{url}': give e.g. http://127.0.0.1:5080");
        if (token is not null && token.Length < 8)
            throw new AggregatorConfigException("the API token is too short: give at least 8 characters");
        if (!IsLoopbackOnly(urls) && string.IsNullOrEmpty(token))
            throw new AggregatorConfigException($"refusing to serve the API on {urls} without a token: process arguments can hold secrets. " +
                                                $"Set {Godo.Messages.GodoConstants.ApiTokenVariable} or --api-token, or bind to 127.0.0.1");
    }

    /// <summary>Kestrel accepts http://*:5080 and http://+:5080, which Uri does not parse.</summary>
    private static string? HostOf(string url)
    {
        var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")) return null;
        return uri.Host;
    }

    public static bool IsAuthorized(HttpRequest request, string token, out bool fromQuery)
    {
        fromQuery = false;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Same(header[7..].Trim(), token)) return true;
        if (request.Cookies.TryGetValue(CookieName, out var cookie) && Same(cookie, token)) return true;
        if (request.Query.TryGetValue(QueryName, out var q) && Same(q.ToString(), token)) { fromQuery = true; return true; }
        return false;
    }

    private static bool Same(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
