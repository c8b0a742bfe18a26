namespace Godo.Agent.Audit;

/// <summary>
/// Splits a byte stream into lines without ever holding more than one bounded line: a line longer than
/// <see cref="AuditLineParser.MaxLineBytes"/> is skipped to its end and reported as oversized, so a 1 MB
/// garbage line costs nothing but a counter.
/// </summary>
public sealed class AuditLineReader(Stream stream, int bufferSize = 1 << 20)
{
    public delegate void LineHandler(ReadOnlySpan<byte> line);

    private readonly byte[] _buffer = new byte[Math.Max(bufferSize, AuditLineParser.MaxLineBytes * 2)];
    public long BytesRead { get; private set; }
    public long OversizedLines { get; private set; }

    /// <summary>Reads until end of stream (or cancellation), calling <paramref name="onLine"/> for each line and <paramref name="onOversized"/> for each skipped one.</summary>
    public async Task ReadAllAsync(LineHandler onLine, Action onOversized, CancellationToken ct = default)
    {
        int start = 0, end = 0;
        var skipping = false;
        while (true)
        {
            if (start > 0 && start == end) start = end = 0;
            if (end == _buffer.Length)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(_buffer, start, _buffer, 0, end - start);
                    end -= start; start = 0;
                }
                else
                {
                    // A full buffer without a newline: the line is oversized; drop what we have and skip to its end.
                    if (!skipping) { OversizedLines++; onOversized(); }
                    skipping = true; start = end = 0;
                }
            }
            var n = await stream.ReadAsync(_buffer.AsMemory(end), ct).ConfigureAwait(false);
            if (n == 0) break;
            BytesRead += n;
            end += n;
            start = Scan(start, end, ref skipping, onLine, onOversized);
        }
        if (end > start && !skipping) Emit(_buffer.AsSpan(start, end - start), onLine, onOversized);
    }

    private int Scan(int start, int end, ref bool skipping, LineHandler onLine, Action onOversized)
    {
        while (start < end)
        {
            var nl = _buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (nl < 0) return start;
            if (skipping) skipping = false;
            else Emit(_buffer.AsSpan(start, nl), onLine, onOversized);
            start += nl + 1;
        }
        return start;
    }

    private void Emit(ReadOnlySpan<byte> line, LineHandler onLine, Action onOversized)
    {
        if (line.Length > AuditLineParser.MaxLineBytes) { OversizedLines++; onOversized(); return; }
        onLine(line);
    }
}
