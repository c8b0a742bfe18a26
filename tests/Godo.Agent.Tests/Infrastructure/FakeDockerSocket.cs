using System.Net.Sockets;
using System.Text;

namespace Godo.Agent.Tests.Infrastructure;

/// <summary>
/// A unix socket that answers each HTTP request with the raw bytes the test chooses for its target, written piece by
/// piece (so a reader sees them split at odd places); a connection stays open after its answer when the answer says
/// so (an endless event stream). What Docker's own socket cannot be made to send: bad framing, garbage, huge lines.
/// </summary>
internal sealed class FakeDockerSocket : IDisposable
{
    /// <summary>The pieces to write for a request target (such as <c>/containers/json?all=1</c>), and whether to hold the connection open after them.</summary>
    public delegate (IEnumerable<byte[]> Pieces, bool HoldOpen) Responder(string target);

    private readonly Responder _respond;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Socket> _open = [];
    private readonly string _dir;

    public string Path { get; }
    public List<string> Targets { get; } = [];

    public FakeDockerSocket(Responder respond)
    {
        _respond = respond;
        _dir = Directory.CreateTempSubdirectory("godo-fake-docker-").FullName;
        Path = System.IO.Path.Combine(_dir, "docker.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(16);
        _ = AcceptLoop();
    }

    public static byte[] Ascii(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A chunked answer whose chunks are <paramref name="chunks"/>, each split in two writes.</summary>
    public static IEnumerable<byte[]> Chunked(int status, params string[] chunks)
    {
        yield return Ascii($"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        foreach (var c in chunks)
        {
            var bytes = Encoding.UTF8.GetBytes(c);
            var framed = Ascii($"{bytes.Length:x}\r\n").Concat(bytes).Concat(Ascii("\r\n")).ToArray();
            yield return framed[..(framed.Length / 2)];
            yield return framed[(framed.Length / 2)..];
        }
    }

    /// <summary>The last chunk, ending a chunked answer.</summary>
    public static byte[] LastChunk => Ascii("0\r\n\r\n");

    public static IEnumerable<byte[]> WithLength(int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        yield return Ascii($"HTTP/1.1 {status} X\r\nContent-Length: {bytes.Length}\r\n\r\n");
        yield return bytes;
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_cts.Token); }
            catch { return; }
            lock (_open) _open.Add(client);
            _ = Serve(client);
        }
    }

    private async Task Serve(Socket client)
    {
        try
        {
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n"))
            {
                int n = await client.ReceiveAsync(buffer, SocketFlags.None, _cts.Token);
                if (n == 0) return;
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            var target = head.ToString().Split(' ')[1];
            lock (Targets) Targets.Add(target);
            var (pieces, holdOpen) = _respond(target);
            foreach (var piece in pieces)
            {
                await client.SendAsync(piece, SocketFlags.None, _cts.Token);
                await Task.Delay(2, _cts.Token); // separate reads on the other side
            }
            if (holdOpen) await Task.Delay(Timeout.Infinite, _cts.Token);
        }
        catch
        {
            // the test ended or the client went away
        }
        finally
        {
            try { client.Shutdown(SocketShutdown.Both); } catch { }
            client.Dispose();
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Dispose();
        lock (_open) foreach (var s in _open) s.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
