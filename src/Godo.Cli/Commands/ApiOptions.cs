using System.CommandLine;
using Godo.Cli.Settings;
using Godo.Messages;

namespace Godo.Cli.Commands;

/// <summary>The flags of the HTTP API that `godo aggregator` and `godo standalone` both serve.</summary>
public sealed record ApiOptions(Option<string?> Http, Option<string?> ApiToken, Option<string[]> HttpHosts, Option<string?> HttpCert, Option<string?> HttpKey)
{
    public static ApiOptions Create() => new(
        new Option<string?>("--http") { Description = $"URL the HTTP API listens on (default {GodoConstants.DefaultHttpUrl}; GODO_HTTP). Off loopback it needs a token; https:// needs --http-cert and --http-key" },
        new Option<string?>("--api-token") { Description = $"bearer token required on every API request ({GodoConstants.ApiTokenVariable})" },
        new Option<string[]>("--http-host") { Description = "a host name the API answers to besides its bound address (DNS rebinding guard); repeat for several (GODO_HTTP_HOSTS, comma-separated)", AllowMultipleArgumentsPerToken = false },
        new Option<string?>("--http-cert") { Description = "PEM certificate (and chain) the API serves https:// with (GODO_HTTP_CERT)" },
        new Option<string?>("--http-key") { Description = "PEM private key of --http-cert (GODO_HTTP_KEY)" });

    public IEnumerable<Option> All => [Http, ApiToken, HttpHosts, HttpCert, HttpKey];

    /// <summary>These flags as given, added to <paramref name="layer"/>.</summary>
    public SettingsLayer Flags(ParseResult parse, SettingsLayer layer) => layer
        .Set("Aggregator:Http", parse.GetValue(Http))
        .Set("Aggregator:ApiToken", parse.GetValue(ApiToken))
        .SetList("Aggregator:HttpHosts", parse.GetValue(HttpHosts))
        .Set("Aggregator:HttpCert", parse.GetValue(HttpCert))
        .Set("Aggregator:HttpKey", parse.GetValue(HttpKey));
}
