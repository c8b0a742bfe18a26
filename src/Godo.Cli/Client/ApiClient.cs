using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Godo.Messages;
using Godo.Messages.Api;

namespace Godo.Cli.Client;

/// <summary>The --server/--api-token/--ca/--json options every client command shares.</summary>
public sealed class ClientOptions
{
    public Option<string?> Server { get; } = new("--server") { Description = $"the aggregator's URL (default {GodoConstants.DefaultHttpUrl}; GODO_SERVER)" };
    public Option<string?> Token { get; } = new("--api-token") { Description = $"bearer token of the API ({GodoConstants.ApiTokenVariable})" };
    public Option<string?> Ca { get; } = new("--ca") { Description = "PEM file of the CA(s) to trust for an https:// --server, beside the system's (GODO_CA)" };
    public Option<bool> Json { get; } = new("--json") { Description = "print the API's JSON instead of a table" };

    public void AddTo(Command cmd, bool json = true)
    {
        cmd.Options.Add(Server);
        cmd.Options.Add(Token);
        cmd.Options.Add(Ca);
        if (json) cmd.Options.Add(Json);
    }

    public ApiClient Connect(ParseResult parse)
    {
        var server = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable("GODO_SERVER") ?? GodoConstants.DefaultHttpUrl;
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new UsageException($"bad --server '{server}': give e.g. {GodoConstants.DefaultHttpUrl}");
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(GodoConstants.ApiTokenVariable);
        var ca = parse.GetValue(Ca) ?? Environment.GetEnvironmentVariable("GODO_CA");
        return new ApiClient(uri, string.IsNullOrEmpty(token) ? null : token, string.IsNullOrEmpty(ca) ? null : LoadCa(ca));
    }

    private static X509Certificate2Collection LoadCa(string file)
    {
        var cas = new X509Certificate2Collection();
        try { cas.ImportFromPemFile(file); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --ca {file}: {e.Message.TrimEnd('.')}");
        }
        return cas.Count > 0 ? cas : throw new UsageException($"--ca {file} holds no PEM certificate");
    }
}

/// <summary>A server-side failure or an unreachable server: one line, exit 1 (bad input is a <see cref="UsageException"/>, exit 2).</summary>
public sealed class ServerException(string message) : Exception(message);

/// <summary>Calls the aggregator's HTTP API and turns every failure into one clear line.</summary>
public sealed class ApiClient : IDisposable
{
    public static readonly JsonSerializerOptions Options = ApiJson.Configure(new JsonSerializerOptions());

    private readonly HttpClient _http;
    public Uri Server { get; }

    /// <param name="ca">CAs trusted for the server's certificate besides the system's (a fleet's private CA).</param>
    public ApiClient(Uri server, string? token, X509Certificate2Collection? ca = null)
    {
        Server = server;
        var handler = new SocketsHttpHandler();
        if (ca is not null) handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustedBy(ca, cert, errors);
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<string> GetStringAsync(string path, CancellationToken ct)
    {
        using var resp = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct, TimeSpan.FromSeconds(30));
        return await resp.Content.ReadAsStringAsync(ct);
    }

    public async Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        JsonSerializer.Deserialize<T>(await GetStringAsync(path, ct), Options) ?? throw new ServerException($"empty answer from {Server}{path}");

    /// <summary>POSTs <paramref name="body"/> as JSON: the API takes no other content type for a change.</summary>
    public async Task<string> PostAsync<T>(string path, T body, CancellationToken ct)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Options) };
        using var resp = await SendAsync(req, ct, TimeSpan.FromSeconds(30));
        return await resp.Content.ReadAsStringAsync(ct);
    }

    /// <summary>
    /// The system's verdict, or else a chain to one of <paramref name="ca"/>; the name must match either way (a
    /// certificate of the fleet's CA issued to another host is not this server's).
    /// </summary>
    private static bool TrustedBy(X509Certificate2Collection ca, X509Certificate? cert, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (cert is null || errors != SslPolicyErrors.RemoteCertificateChainErrors) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert as X509Certificate2 ?? new X509Certificate2(cert));
    }

    /// <summary>Follows a text/event-stream, calling <paramref name="onEvent"/> with each (event, data) until the server or the user ends it.</summary>
    public async Task FollowAsync(string path, Func<string, string, Task> onEvent, CancellationToken ct)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Accept.ParseAdd("text/event-stream");
        using var resp = await SendAsync(req, ct, null, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await resp.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        string eventName = "message";
        var data = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0) await onEvent(eventName, string.Join('\n', data));
                eventName = "message";
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal)) eventName = line[6..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line[5..].TrimStart());
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage req, CancellationToken ct, TimeSpan? timeout,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t) cts.CancelAfter(t);
        HttpResponseMessage resp;
        try
        {
            resp = await _http.SendAsync(req, completion, cts.Token);
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException tls)
        {
            throw new ServerException($"the aggregator at {Server} has a certificate this client does not trust ({tls.Message.TrimEnd('.')}): give its CA with --ca FILE or GODO_CA");
        }
        catch (HttpRequestException e)
        {
            throw new ServerException($"cannot reach the aggregator at {Server}: {e.InnerException?.Message ?? e.Message} (is it running? see --server)");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ServerException($"the aggregator at {Server} did not answer in time");
        }
        if (resp.IsSuccessStatusCode) return resp;
        var body = await resp.Content.ReadAsStringAsync(ct);
        resp.Dispose();
        var (error, candidates) = ErrorOf(body);
        var message = error ?? $"{(int)resp.StatusCode} {resp.ReasonPhrase}";
        throw resp.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new ServerException($"{message} (give --api-token or set {GodoConstants.ApiTokenVariable})"),
            HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.Conflict => new UsageException(message, candidates),
            _ => new ServerException($"the aggregator answered {(int)resp.StatusCode}: {message}"),
        };
    }

    /// <summary>The API's error line, and for an ambiguous container the candidates, one line each (host, id, name, image).</summary>
    private static (string? Error, IReadOnlyList<string> Candidates) ErrorOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String) return (null, []);
            // candidates are containers (host, id, name, image), or plain ids where only those are known (the history's)
            var candidates = root.TryGetProperty("candidates", out var c) && c.ValueKind == JsonValueKind.Array
                ? c.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()!
                    : v.Deserialize<ContainerView>(Options) is { } cv ? $"{cv.Host}  {(cv.Id.Length > 12 ? cv.Id[..12] : cv.Id)}  {cv.Name?.TrimStart('/') ?? "(unnamed)"}  {cv.Image ?? "-"}" : "?").ToList()
                : [];
            return (error.GetString(), candidates);
        }
        catch (JsonException) { return (null, []); }
    }

    /// <summary>Runs a client command: a <see cref="ServerException"/> becomes one line on stderr and exit 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try { return await body(); }
        catch (ServerException e)
        {
            CommandLine.Error(e.Message);
            return CommandLine.Failed;
        }
    }

    public static string Pretty(string json)
    {
        try { return JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, new JsonSerializerOptions { WriteIndented = true }); }
        catch (JsonException) { return json; }
    }

    public void Dispose() => _http.Dispose();
}
