using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
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
/// A bare HTTP/1.1 GET on the unix socket (<see cref="DockerConnection"/>) rather than Docker.DotNet or
/// System.Net.Http: godo needs four endpoints, and owning the calls gives direct control of the endless
/// <c>/events</c> stream (no client timeout, line-by-line reads, clean cancellation) and of reconnection, and keeps
/// an HTTP stack's code and pools out of every agent's memory. JSON goes through <see cref="JsonDocument"/> (no
/// reflection). Bad input (framing, JSON, oversized lines) is counted in <see cref="Malformed"/>, never thrown
/// out of the loop.
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
    /// <summary>Events longer than this are skipped (Docker's are a few hundred bytes, a few KiB with many labels).</summary>
    internal const int MaxEventBytes = 1 << 20;
    /// <summary>A list or inspect answer longer than this is refused.</summary>
    internal const int MaxDocumentBytes = 64 << 20;
    private readonly Channel<DockerNotification> _channel =
        Channel.CreateUnbounded<DockerNotification>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _disposed = new();
    private int _running;
    private volatile int _availability = -1; // -1 not yet known, 0 unavailable, 1 available
    private long _malformed;

    public DockerMetadataClient(DockerMetadataClientOptions? options = null, ILogger<DockerMetadataClient>? logger = null)
    {
        _options = options ?? new DockerMetadataClientOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public DockerMetadataClientOptions Options => _options;

    /// <summary>What <see cref="RunAsync"/> publishes, in order. Completed when <see cref="RunAsync"/> returns.</summary>
    public ChannelReader<DockerNotification> Notifications => _channel.Reader;

    /// <summary>Whether the loop is connected to Docker right now (false before the first connection). Test seam.</summary>
    public bool IsAvailable => _availability == 1;

    /// <summary>Answers and events that could not be read (bad HTTP framing, bad JSON, oversized events), since start.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>True when <c>GET /_ping</c> answers OK. Never throws (except on cancellation). Test seam: tests wait for Docker with it.</summary>
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            using var timeout = Timeout(ct);
            using var response = await DockerConnection.GetAsync(_options.SocketPath, "_ping", timeout.Token).ConfigureAwait(false);
            return IsSuccess(response.Status);
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

        // A few inspects at once, each worker taking the next container in turn.
        var inspected = new DockerContainer?[listed.Count];
        int next = -1;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task Worker()
        {
            try
            {
                for (int i; (i = Interlocked.Increment(ref next)) < listed.Count;)
                    inspected[i] = await InspectAsync(listed[i].Id, failed.Token).ConfigureAwait(false);
            }
            catch
            {
                failed.Cancel(); // one failure fails the list: stop the others early
                throw;
            }
        }
        var workers = new Task[Math.Clamp(_options.MaxParallelInspects, 1, Math.Max(1, listed.Count))];
        for (int w = 0; w < workers.Length; w++) workers[w] = Worker();
        // The workers a failure stopped end cancelled, so this throws the failure itself.
        await Task.WhenAll(workers).ConfigureAwait(false);

        var result = ImmutableArray.CreateBuilder<DockerContainer>(listed.Count);
        for (int i = 0; i < listed.Count; i++)
        {
            if (inspected[i] is not { } full) continue; // removed between list and inspect
            // Image as `docker ps` shows it comes from the list; the rest from the (newer) inspect.
            result.Add(full with { Image = listed[i].Image ?? full.Image });
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

    /// <summary>The <c>/events</c> query: container actions only. Built by hand: no serializer for one constant.</summary>
    private static readonly string EventsTarget = "events?filters=" + Uri.EscapeDataString(
        "{\"type\":[\"container\"],\"event\":[" + string.Join(",", DockerJson.ActionNames.Select(a => $"\"{a}\"")) + "]}");

    /// <summary>One connection: events stream, list, then events until the stream ends. Calls <paramref name="onConnected"/> once listed.</summary>
    private async Task RunConnectionAsync(Action onConnected, CancellationToken ct)
    {
        DockerConnection events;
        using (var timeout = Timeout(ct))
        {
            events = await Send(EventsTarget, timeout.Token, ct).ConfigureAwait(false);
            if (!IsSuccess(events.Status))
            {
                using (events)
                    throw new DockerApiException($"GET /events: {events.Status} {await SafeBody(events, timeout.Token).ConfigureAwait(false)}", (HttpStatusCode)events.Status);
            }
        }
        using (events)
        {

            var containers = await ListContainersAsync(ct).ConfigureAwait(false);
            SetAvailable(true, null);
            Publish(new DockerContainersListed(containers, DateTimeOffset.UtcNow));
            onConnected();
            _logger.LogInformation("Docker at {Socket}: {Count} containers", _options.SocketPath, containers.Length);

            while (true)
            {
                DockerConnection.Line? read;
                try
                {
                    read = await events.ReadLineAsync(MaxEventBytes, ct).ConfigureAwait(false);
                }
                catch (DockerProtocolException)
                {
                    Interlocked.Increment(ref _malformed);
                    throw; // the stream cannot be trusted past bad framing: reconnect and re-list
                }
                if (read is not { } line) return; // engine closed the stream (shutdown/restart)
                if (line.IsTooLong)
                {
                    Interlocked.Increment(ref _malformed);
                    _logger.LogWarning("Docker event longer than {Max} bytes skipped", MaxEventBytes);
                    continue;
                }
                if (line.Bytes.IsEmpty) continue;
                DockerContainerEvent? ev;
                try
                {
                    using var doc = JsonDocument.Parse(line.Bytes);
                    ev = DockerJson.ParseEvent(doc.RootElement);
                }
                catch (JsonException e)
                {
                    Interlocked.Increment(ref _malformed);
                    var text = Encoding.UTF8.GetString(line.Bytes.Span[..Math.Min(line.Bytes.Length, 300)]);
                    _logger.LogWarning("Unreadable Docker event ({Error}): {Line}", e.Message, text);
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
            using var response = await Send(path, timeout.Token, ct).ConfigureAwait(false);
            if (response.Status == (int)HttpStatusCode.NotFound) return null;
            if (!IsSuccess(response.Status))
                throw new DockerApiException($"GET /{path}: {response.Status} {await SafeBody(response, timeout.Token).ConfigureAwait(false)}", (HttpStatusCode)response.Status);
            var body = await response.ReadToEndAsync(MaxDocumentBytes, timeout.Token).ConfigureAwait(false);
            return JsonDocument.Parse(body);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DockerApiException($"GET /{path}: no answer within {_options.RequestTimeout}", null, e);
        }
        catch (Exception e) when (e is IOException or SocketException or JsonException)
        {
            if (e is DockerProtocolException or JsonException) Interlocked.Increment(ref _malformed);
            throw new DockerApiException($"GET /{path}: {Describe(e)}", null, e);
        }
    }

    /// <summary>Opens a request; a socket that cannot be reached becomes a <see cref="DockerApiException"/>.</summary>
    private async Task<DockerConnection> Send(string target, CancellationToken timeout, CancellationToken ct)
    {
        try
        {
            return await DockerConnection.GetAsync(_options.SocketPath, target, timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DockerApiException($"GET /{EndpointOf(target)}: no answer within {_options.RequestTimeout}", null, e);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            if (e is DockerProtocolException) Interlocked.Increment(ref _malformed);
            throw new DockerApiException($"GET /{EndpointOf(target)}: {Describe(e)}", null, e);
        }
    }

    private static string EndpointOf(string target) => target.IndexOf('?') is var q and >= 0 ? target[..q] : target;

    private static bool IsSuccess(int status) => status is >= 200 and < 300;

    /// <summary>The start of an error answer's body, for the message; empty when it cannot be read.</summary>
    private static async Task<string> SafeBody(DockerConnection response, CancellationToken ct)
    {
        try
        {
            var buffer = new byte[300];
            int length = 0, n;
            while (length < buffer.Length && (n = await response.ReadBodyAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
                length += n;
            return Encoding.UTF8.GetString(buffer, 0, length).Trim();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return ""; // the status alone says enough
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
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
