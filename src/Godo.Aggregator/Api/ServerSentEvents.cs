using System.Text.Json;
using Godo.Aggregator.Ops;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Godo.Aggregator.Api;

/// <summary>
/// Streams a <see cref="Broadcaster{T}"/> subscription as text/event-stream: "event: KIND" + "data: JSON", keep-alive
/// comments every 15 s. A client cut off for reading too slowly gets <paramref name="overflow"/> (how many values it
/// missed) as its last event, and is disconnected if it has not read that far within the grace.
/// </summary>
internal static class ServerSentEvents
{
    public static async Task StreamAsync<T>(HttpContext ctx, Broadcaster<T>.Subscription sub, Func<T, bool> filter, Func<T, string> eventName,
        IEnumerable<T>? initial = null, Func<long, T>? overflow = null, TimeSpan? overflowGrace = null)
    {
        var lifetime = ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        var json = ctx.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, lifetime.ApplicationStopping);
        var ct = cts.Token;
        using var subscription = sub;
        // A writer stuck on a client that never reads holds only the server's own output buffer: after the grace, let it go.
        var finished = 0;
        _ = sub.WhenOverflowed.ContinueWith(async _ =>
        {
            try { await Task.Delay(overflowGrace ?? TimeSpan.FromSeconds(30), ct); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            if (Volatile.Read(ref finished) == 0) ctx.Abort();
        }, TaskScheduler.Default);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var writer = new StreamWriter(ctx.Response.Body, new System.Text.UTF8Encoding(false), 16 * 1024, leaveOpen: true) { NewLine = "\n" };
        try
        {
            await writer.WriteAsync(": godo event stream\n\n");
            foreach (var e in initial ?? []) if (filter(e)) await Write(writer, e, eventName, json);
            await writer.FlushAsync(ct);
            Task<bool>? wait = null;
            while (!ct.IsCancellationRequested)
            {
                wait ??= sub.WaitToReadAsync(ct).AsTask();
                var done = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(15), ct));
                if (done != wait)
                {
                    await writer.WriteAsync(": keep-alive\n\n");
                    await writer.FlushAsync(ct);
                    continue;
                }
                if (!await wait) break;
                wait = null;
                while (sub.TryRead(out var e))
                    if (filter(e)) await Write(writer, e, eventName, json);
                await writer.FlushAsync(ct);
            }
            if (sub.Overflowed && overflow is not null)
            {
                await Write(writer, overflow(sub.Dropped), eventName, json);
                await writer.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            Volatile.Write(ref finished, 1);
            await cts.CancelAsync();
            try { await writer.DisposeAsync(); } catch (IOException) { } catch (OperationCanceledException) { }
        }
    }

    private static async Task Write<T>(StreamWriter w, T e, Func<T, string> eventName, JsonSerializerOptions json)
    {
        await w.WriteAsync("event: ");
        await w.WriteAsync(eventName(e));
        await w.WriteAsync("\ndata: ");
        await w.WriteAsync(JsonSerializer.Serialize(e, json));
        await w.WriteAsync("\n\n");
    }
}
