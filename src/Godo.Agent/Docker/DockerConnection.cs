using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Godo.Agent.Docker;

/// <summary>
/// One HTTP/1.1 GET on Docker's unix socket: connect, send, read the status and headers, then the body (by
/// Content-Length, chunked, or until the engine closes). One connection per request, closed after it.
/// </summary>
/// <remarks>
/// Not System.Net.Http: its handler, connection pool and their code stayed resident in every agent (about 10 MiB
/// at rest) for four GET endpoints on a local socket. Framing errors throw <see cref="DockerProtocolException"/>.
/// </remarks>
internal sealed class DockerConnection : IDisposable
{
    private const int MaxHead = 64 * 1024;
    private const int MaxChunkLine = 1024;

    private enum Framing { Length, Chunked, UntilClose }

    private readonly Socket _socket;
    private byte[] _buffer = new byte[8 * 1024];
    private int _pos, _end;
    private bool _eof;
    private Framing _framing;
    private long _remaining; // body bytes left: of the whole body (Length) or of the current chunk (Chunked)
    private bool _inChunk;
    private bool _bodyDone;

    // Decoded body bytes not yet returned as a line (ReadLineAsync).
    private byte[] _lines = [];
    private int _lineStart, _lineEnd;

    private DockerConnection(Socket socket) => _socket = socket;

    public int Status { get; private set; }

    /// <summary>Sends <c>GET /{target}</c> and reads the response's head.</summary>
    /// <exception cref="SocketException">The socket cannot be reached.</exception>
    /// <exception cref="IOException">The engine closed the connection or answered something that is not HTTP/1.x.</exception>
    public static async Task<DockerConnection> GetAsync(string socketPath, string target, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var connection = new DockerConnection(socket);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
            var request = Encoding.ASCII.GetBytes(
                $"GET /{target} HTTP/1.1\r\nHost: docker\r\nUser-Agent: godo\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
            for (int sent = 0; sent < request.Length;)
                sent += await socket.SendAsync(request.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
            await connection.ReadHeadAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task ReadHeadAsync(CancellationToken ct)
    {
        var status = await ReadRawLineAsync(MaxHead, ct).ConfigureAwait(false);
        // "HTTP/1.1 200 OK": the reason phrase may be empty or missing.
        if (!status.StartsWith("HTTP/1.", StringComparison.Ordinal) || status.Length < 12 || status[8] != ' '
            || !int.TryParse(status.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            throw new DockerProtocolException($"not an HTTP/1.x status line: {Cut(status)}");
        Status = code;
        long? length = null;
        bool chunked = false;
        while (true)
        {
            var line = await ReadRawLineAsync(MaxHead, ct).ConfigureAwait(false);
            if (line.Length == 0) break;
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new DockerProtocolException($"bad header line: {Cut(line)}");
            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    throw new DockerProtocolException($"bad Content-Length: {Cut(line)}");
                length = n;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                if (!value.Equals("chunked", StringComparison.OrdinalIgnoreCase))
                    throw new DockerProtocolException($"unsupported transfer encoding: {Cut(line)}");
                chunked = true;
            }
        }
        // RFC 9112: chunked wins over a Content-Length; no body at all for 204 and 304.
        if (code is 204 or 304) (_framing, _remaining) = (Framing.Length, 0);
        else if (chunked) _framing = Framing.Chunked;
        else if (length is { } n) (_framing, _remaining) = (Framing.Length, n);
        else _framing = Framing.UntilClose;
        _bodyDone = _framing == Framing.Length && _remaining == 0;
    }

    /// <summary>Reads decoded body bytes into <paramref name="into"/>; 0 at the end of the body.</summary>
    public async ValueTask<int> ReadBodyAsync(Memory<byte> into, CancellationToken ct)
    {
        if (_bodyDone || into.Length == 0) return 0;
        if (_framing == Framing.Chunked && _remaining == 0)
        {
            if (_inChunk)
            {
                if ((await ReadRawLineAsync(MaxChunkLine, ct).ConfigureAwait(false)).Length != 0)
                    throw new DockerProtocolException("chunk not followed by CRLF");
                _inChunk = false;
            }
            var sizeLine = await ReadRawLineAsync(MaxChunkLine, ct).ConfigureAwait(false);
            int semicolon = sizeLine.IndexOf(';'); // chunk extensions: ignored
            var size = (semicolon >= 0 ? sizeLine.AsSpan(0, semicolon) : sizeLine.AsSpan()).Trim();
            if (size.Length == 0 || size.Length > 15
                || !long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n))
                throw new DockerProtocolException($"bad chunk size: {Cut(sizeLine)}");
            if (n == 0)
            {
                while ((await ReadRawLineAsync(MaxHead, ct).ConfigureAwait(false)).Length != 0) { } // trailers
                _bodyDone = true;
                return 0;
            }
            (_remaining, _inChunk) = (n, true);
        }
        if (_pos == _end && !await FillAsync(ct).ConfigureAwait(false))
        {
            if (_framing == Framing.UntilClose) { _bodyDone = true; return 0; }
            throw new DockerProtocolException("the engine closed the connection in the middle of a response");
        }
        int count = _end - _pos;
        if (count > into.Length) count = into.Length;
        if (_framing != Framing.UntilClose && count > _remaining) count = (int)_remaining;
        _buffer.AsSpan(_pos, count).CopyTo(into.Span);
        _pos += count;
        if (_framing != Framing.UntilClose)
        {
            _remaining -= count;
            if (_framing == Framing.Length && _remaining == 0) _bodyDone = true;
        }
        return count;
    }

    /// <summary>The whole body; <see cref="DockerProtocolException"/> past <paramref name="max"/> bytes.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadToEndAsync(int max, CancellationToken ct)
    {
        var body = new byte[_framing == Framing.Length ? (int)Math.Min(_remaining, max) : 16 * 1024];
        int length = 0;
        while (true)
        {
            if (length == body.Length)
            {
                if (length >= max) throw new DockerProtocolException($"response longer than {max} bytes");
                Array.Resize(ref body, (int)Math.Min((long)body.Length * 2 + 1, max));
            }
            int n = await ReadBodyAsync(body.AsMemory(length), ct).ConfigureAwait(false);
            if (n == 0) return body.AsMemory(0, length);
            length += n;
        }
    }

    /// <summary>
    /// The next line of the body, without its line end; null at the end of the body. A line longer than
    /// <paramref name="max"/> bytes is skipped whole and returned as <see cref="Line.TooLong"/>.
    /// </summary>
    public async ValueTask<Line?> ReadLineAsync(int max, CancellationToken ct)
    {
        bool skipping = false;
        int scanned = _lineStart;
        while (true)
        {
            int nl = Array.IndexOf(_lines, (byte)'\n', scanned, _lineEnd - scanned);
            if (nl >= 0)
            {
                var line = _lines.AsMemory(_lineStart, nl - _lineStart);
                _lineStart = nl + 1;
                if (skipping) return Line.TooLong;
                return new Line(line.Span is [.., (byte)'\r'] ? line[..^1] : line);
            }
            if (_lineEnd - _lineStart >= max)
            {
                skipping = true; // keep reading to its end, holding none of it
                _lineStart = _lineEnd = 0;
            }
            if (_lineStart > 0)
            {
                _lines.AsSpan(_lineStart, _lineEnd - _lineStart).CopyTo(_lines);
                (_lineEnd, _lineStart) = (_lineEnd - _lineStart, 0);
            }
            if (_lineEnd == _lines.Length) Array.Resize(ref _lines, Math.Min(Math.Max(4096, _lines.Length * 2), max + 1));
            scanned = _lineEnd;
            int n = await ReadBodyAsync(_lines.AsMemory(_lineEnd), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (skipping) return Line.TooLong;
                if (_lineEnd == _lineStart) return null;
                var last = _lines.AsMemory(_lineStart, _lineEnd - _lineStart); // a last line without its line end
                _lineStart = _lineEnd;
                return new Line(last);
            }
            _lineEnd += n;
        }
    }

    /// <summary>A line of the body (valid until the next read), or a line that was too long to keep.</summary>
    public readonly record struct Line(ReadOnlyMemory<byte> Bytes, bool IsTooLong = false)
    {
        public static readonly Line TooLong = new(default, true);
    }

    /// <summary>One CRLF- (or LF-) terminated line of the raw stream, as Latin-1.</summary>
    private async ValueTask<string> ReadRawLineAsync(int max, CancellationToken ct)
    {
        int scanned = _pos;
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', scanned, _end - scanned);
            if (nl >= 0)
            {
                int end = nl > _pos && _buffer[nl - 1] == '\r' ? nl - 1 : nl;
                var text = Encoding.Latin1.GetString(_buffer, _pos, end - _pos);
                _pos = nl + 1;
                return text;
            }
            if (_end - _pos >= max) throw new DockerProtocolException($"a header or chunk line longer than {max} bytes");
            scanned = _end;
            int before = _pos;
            if (!await FillAsync(ct).ConfigureAwait(false))
                throw new DockerProtocolException("the engine closed the connection in the middle of a response");
            scanned -= before - _pos; // FillAsync may have moved the pending bytes to the front
        }
    }

    /// <summary>Reads more from the socket after the pending bytes; false at the end of the stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_eof) return false;
        if (_pos > 0)
        {
            _buffer.AsSpan(_pos, _end - _pos).CopyTo(_buffer);
            (_end, _pos) = (_end - _pos, 0);
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2); // a head line up to MaxHead
        int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
        if (n == 0) { _eof = true; return false; }
        _end += n;
        return true;
    }

    private static string Cut(string s) => s.Length > 100 ? s[..100] + "…" : s;

    public void Dispose() => _socket.Dispose();
}

/// <summary>Docker's socket answered something that is not the HTTP/1.1 godo expects (bad framing, oversized lines).</summary>
public sealed class DockerProtocolException(string message) : IOException(message);
