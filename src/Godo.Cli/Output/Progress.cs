using Godo.Agent.Pipeline;

namespace Godo.Cli.Output;

/// <summary>A progress line on stderr, once a second, for long replays (only when stderr is a terminal).</summary>
public sealed class Progress : IDisposable
{
    private readonly Timer _timer;
    private bool _printed;

    private Progress(PipelineStats stats, Stream input)
    {
        var started = DateTime.UtcNow;
        _timer = new Timer(_ =>
        {
            var secs = (DateTime.UtcNow - started).TotalSeconds;
            var pct = input.CanSeek && input.Length > 0 ? $" {100.0 * input.Position / input.Length,5:0.0}%" : "";
            Console.Error.Write($"\rgodo: {Interlocked.Read(ref stats.Records):N0} records, {Interlocked.Read(ref stats.Events):N0} events{pct} ({secs:0}s)   ");
            _printed = true;
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public static Progress? Start(PipelineStats stats, Stream input) =>
        Console.IsErrorRedirected ? null : new Progress(stats, input);

    public void Dispose()
    {
        _timer.Dispose();
        if (_printed) Console.Error.Write("\r\u001b[K");
    }
}
