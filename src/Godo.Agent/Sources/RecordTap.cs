using System.Text;
using Godo.Agent.Audit;

namespace Godo.Agent.Sources;

/// <summary>
/// Writes every record the agent receives from the kernel to a file, in the raw log format (`type=NAME msg=...`)
/// that `godo replay` and ausearch read: what the kernel told godo can be replayed and compared later. Called from
/// the receiver thread; a timer flushes it, so a lock keeps the two apart.
/// </summary>
public sealed class RecordTap : IDisposable
{
    private readonly Stream _out;
    private readonly object _gate = new();
    private readonly Timer _flusher;
    private readonly Dictionary<int, byte[]> _headers = new(); // "type=NAME msg=" per record type, made once
    private bool _disposed;

    public RecordTap(string path)
    {
        _out = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _flusher = new Timer(_ => Flush(), null, 1000, 1000);
    }

    public long Records { get; private set; }

    public void Write(int type, ReadOnlySpan<byte> payload)
    {
        // Netlink payloads may end in NULs or a newline; the log has one record per line.
        var end = payload.IndexOfAny((byte)0, (byte)'\n');
        if (end >= 0) payload = payload[..end];
        lock (_gate)
        {
            if (_disposed) return;
            if (!_headers.TryGetValue(type, out var header))
                _headers[type] = header = Encoding.ASCII.GetBytes($"type={AuditRecordType.NameOf(type)} msg=");
            _out.Write(header);
            _out.Write(payload);
            _out.WriteByte((byte)'\n');
            Records++;
        }
    }

    public void Flush()
    {
        lock (_gate) if (!_disposed) _out.Flush();
    }

    public void Dispose()
    {
        _flusher.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _out.Dispose();
        }
    }
}
