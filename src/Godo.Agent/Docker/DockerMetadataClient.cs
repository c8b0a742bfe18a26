using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godo.Agent.Docker;

/// <summary>
/// Container metadata from the Docker engine over its unix socket: list, inspect, and a resilient loop
/// (<see cref="RunAsync"/>) that follows container events and publishes <see cref="DockerNotification"/>s
/// on <see cref="Notifications"/>.
/// </summary>
/// <remarks>
/// Plain <see cref="HttpClient"/> over the unix socket rather than Docker.DotNet: godo needs four endpoints,
/// and owning the HTTP calls gives direct control of the endless <c>/events</c> stream (no client timeout,
/// line-by-line reads, clean cancellation) and of reconnection, and no Newtonsoft dependency.
///
/// Each connection of the loop: open <c>/events</c> (filtered to container actions) first, then list every
/// container with an inspect each, publish <see cref="DockerAvailabilityChanged"/>(true) and
/// <see cref="DockerContainersListed"/>, then publish events as they come. Events that happen while listing
/// wait in the open stream and follow the list, so nothing falls between the two. When Docker is absent,
/// stops or restarts, the loop publishes <see cref="DockerAvailabilityChanged"/>(false), waits with exponential
/// backoff, and reconnects (and re-lists) once Docker answers again.
/// </remarks>
public sealed class DockerMetadataClient : IAsyncDisposable, IDisposable
{
    private readonly DockerMetadataClientOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly Channel<DockerNotification> _channel =
        Channel.CreateUnbounded<DockerNotification>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _disposed = new();
    private int _running;
    private volatile int _availability = -1; // -1 not yet known, 0 unavailable, 1 available

    public DockerMetadataClient(DockerMetadataClientOptions? options = null, ILogger<DockerMetadataClient>? logger = null)
    {
        _options = options ?? new DockerMetadataClientOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _http = UnixSocketHttp.Create(_options.SocketPath);
    }

    public DockerMetadataClientOptions Options => _options;

    /// <summary>What <see cref="RunAsync"/> publishes, in order. Completed when <see cref="RunAsync"/> returns.</summary>
    public ChannelReader<DockerNotification> Notifications => _channel.Reader;

    /// <summary>Whether the loop is connected to Docker right now (false before the first connection). Test seam.</summary>
    public bool IsAvailable => _availability == 1;

    /// <summary>True when <c>GET /_ping</c> answers OK. Never throws (except on cancellation). Test seam: tests wait for Docker with it.</summary>
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            using var timeout = Timeout(ct);
            using var response = await _http.GetAsync("_ping", timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception)
        {
            return false; // unreachable, error, or our own request timeout
        }
    }

    /// <summary>Every container (running or not), each inspected for its start time and init pid.</summary>
    /// <exception cref="DockerApiException">Docker cannot be reached or answered with an error.</exception>
    public async Task<ImmutableArray<DockerContainer>> ListContainersAsync(CancellationToken ct = default)
    {
        using var doc = await GetJsonAsync("containers/json?all=1", ct).ConfigureAwait(false)
            ?? throw new DockerApiException("GET /containers/json: not found", HttpStatusCode.NotFound);
        var listed = new List<DockerContainer>();
        foreach (var item in doc.RootElement.EnumerateArray())
            if (DockerJson.ParseListItem(item) is { } c) listed.Add(c);

        var inspected = new ConcurrentDictionary<string, DockerContainer>();
        await Parallel.ForEachAsync(listed,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelInspects), CancellationToken = ct },
            async (c, token) =>
            {
                var full = await InspectAsync(c.Id, token).ConfigureAwait(false);
                if (full is not null) inspected[c.Id] = full;
            }).ConfigureAwait(false);

        var result = ImmutableArray.CreateBuilder<DockerContainer>(listed.Count);
        foreach (var c in listed)
        {
            if (!inspected.TryGetValue(c.Id, out var full))
            {
                continue; // removed between list and inspect
            }
            // Image as `docker ps` shows it comes from the list; the rest from the (newer) inspect.
            result.Add(full with { Image = c.Image ?? full.Image });
        }
        return result.DrainToImmutable();
    }

    /// <summary>One container by id or name; null when Docker does not know it.</summary>
    /// <exception cref="DockerApiException">Docker cannot be reached or answered with an error.</exception>
    public async Task<DockerContainer?> InspectAsync(string idOrName, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrName);
        using var doc = await GetJsonAsync($"containers/{Uri.EscapeDataString(idOrName)}/json", ct).ConfigureAwait(false);
        return doc is null ? null : DockerJson.ParseInspect(doc.RootElement);
    }

    /// <summary>
    /// Follows Docker until <paramref name="ct"/> is cancelled, publishing on <see cref="Notifications"/>.
    /// Never throws: Docker failures are reported as <see cref="DockerAvailabilityChanged"/> and retried.
    /// Returns (and completes <see cref="Notifications"/>) when cancelled. Call it once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("RunAsync is already running or has run");
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        // Disposing the client also ends the loop.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var ct = linked.Token;
        var backoff = _options.InitialBackoff;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                bool connected = false;
                string reason;
                try
                {
                    await RunConnectionAsync(() => connected = true, ct).ConfigureAwait(false);
                    reason = "Docker closed the event stream";
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    reason = Describe(e);
                }

                bool changed = SetAvailable(false, reason);
                // After a good connection start over from the first delay; while Docker stays away, double it.
                if (connected) backoff = _options.InitialBackoff;
                var wait = backoff;
                backoff = Min(backoff * 2, _options.MaxBackoff);
                _logger.Log(changed ? LogLevel.Warning : LogLevel.Debug,
                    "Docker at {Socket} unavailable ({Reason}); retrying in {Delay}", _options.SocketPath, reason, wait);
                try { await Task.Delay(wait, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
        catch (Exception e)
        {
            // Defensive: the loop must never throw into its caller.
            _logger.LogError(e, "Docker metadata loop failed");
        }
        finally
        {
            _channel.Writer.TryComplete();
        }
    }

    /// <summary>One connection: events stream, list, then events until the stream ends. Calls <paramref name="onConnected"/> once listed.</summary>
    private async Task RunConnectionAsync(Action onConnected, CancellationToken ct)
    {
        var filters = JsonSerializer.Serialize(new Dictionary<string, string[]>
        {
            ["type"] = ["container"],
            ["event"] = DockerJson.ActionNames,
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, "events?filters=" + Uri.EscapeDataString(filters));
        HttpResponseMessage response;
        using (var timeout = Timeout(ct))
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new DockerApiException($"GET /events: {(int)response.StatusCode} {await SafeBody(response).ConfigureAwait(false)}", response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream);

            var containers = await ListContainersAsync(ct).ConfigureAwait(false);
            SetAvailable(true, null);
            Publish(new DockerContainersListed(containers, DateTimeOffset.UtcNow));
            onConnected();
            _logger.LogInformation("Docker at {Socket}: {Count} containers", _options.SocketPath, containers.Length);

            while (true)
            {
                var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
                if (line is null) return; // engine closed the stream (shutdown/restart)
                if (line.Length == 0) continue;
                DockerContainerEvent? ev;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    ev = DockerJson.ParseEvent(doc.RootElement);
                }
                catch (JsonException e)
                {
                    _logger.LogWarning(e, "Unreadable Docker event: {Line}", line);
                    continue;
                }
                if (ev is null) continue;
                if (_options.InspectOnEvent && ev.Action != DockerContainerAction.Destroy)
                {
                    try
                    {
                        ev = ev with { Container = await InspectAsync(ev.ContainerId, ct).ConfigureAwait(false) };
                    }
                    catch (DockerApiException e)
                    {
                        _logger.LogDebug(e, "Inspect after {Action} of {Id} failed", ev.Action, ev.ContainerId);
                    }
                }
                Publish(ev);
            }
        }
    }

    private async Task<JsonDocument?> GetJsonAsync(string path, CancellationToken ct)
    {
        using var timeout = Timeout(ct);
        try
        {
            using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode)
                throw new DockerApiException($"GET /{path}: {(int)response.StatusCode} {await SafeBody(response).ConfigureAwait(false)}", response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DockerApiException($"GET /{path}: no answer within {_options.RequestTimeout}", null, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            throw new DockerApiException($"GET /{path}: {Describe(e)}", null, e);
        }
    }

    private static async Task<string> SafeBody(HttpResponseMessage response)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return text.Length > 300 ? text[..300] : text.Trim();
        }
        catch
        {
            return "";
        }
    }

    /// <summary>Publishes a change of availability; true when it was one.</summary>
    private bool SetAvailable(bool available, string? reason)
    {
        int value = available ? 1 : 0;
        if (_availability == value) return false;
        _availability = value;
        Publish(new DockerAvailabilityChanged(available, reason));
        return true;
    }

    private void Publish(DockerNotification n) => _channel.Writer.TryWrite(n);

    private CancellationTokenSource Timeout(CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_options.RequestTimeout);
        return cts;
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not DockerApiException) inner = inner.InnerException;
        return inner is DockerApiException ? inner.Message : $"{inner.GetType().Name}: {inner.Message}";
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Ends <see cref="RunAsync"/> (if running) and closes the connections.</summary>
    public void Dispose()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        _http.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
