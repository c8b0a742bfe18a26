namespace Godo.Agent.Sources;

/// <summary>
/// Sends a source's partial batch a short delay after its first record, so a trickle still reaches the tree. A
/// one-shot timer armed by <see cref="Arm"/>, not a periodic one: a source at rest wakes nobody.
/// </summary>
public sealed class PartialBatchFlusher : IDisposable
{
    private readonly RecordBatcher _batcher;
    private readonly int _delayMs;
    private readonly Timer _timer;
    private int _armed;

    public PartialBatchFlusher(RecordBatcher batcher, int delayMs)
    {
        _batcher = batcher; _delayMs = delayMs;
        _timer = new Timer(_ => Fire(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>After each record added: cheap when already armed.</summary>
    public void Arm()
    {
        if (Volatile.Read(ref _armed) != 0 || Interlocked.Exchange(ref _armed, 1) != 0) return;
        try { _timer.Change(_delayMs, Timeout.Infinite); }
        catch (ObjectDisposedException) { } // the source is stopping: its end flushes
    }

    private void Fire()
    {
        Volatile.Write(ref _armed, 0);
        _batcher.FlushIfIdle();
        // Skipped (the reader was sending, or the pipeline is behind) or refilled meanwhile: try again later.
        if (_batcher.HasPending) Arm();
    }

    public void Dispose() => _timer.Dispose();
}
