using System.Net.Sockets;

namespace Godo.Agent.Tests.Infrastructure;

/// <summary>
/// Forwards a unix socket to another (the real Docker socket). <see cref="Stop"/> drops every connection and
/// stops listening, which looks to a client exactly like the engine going away; <see cref="Start"/> brings it back.
/// </summary>
internal sealed class UnixSocketProxy : IDisposable
{
    private readonly string _target;
    private readonly List<Socket> _open = [];
    private Socket? _listener;
    private CancellationTokenSource? _cts;

    public string Path { get; }

    public UnixSocketProxy(string path, string target)
    {
        Path = path;
        _target = target;
    }

    public void Start()
    {
        if (File.Exists(Path)) File.Delete(Path);
        _cts = new CancellationTokenSource();
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(16);
        _ = AcceptLoop(_listener, _cts.Token);
    }

    public void Stop()
    {
        _cts?.Cancel();
        _listener?.Dispose();
        _listener = null;
        lock (_open)
        {
            foreach (var s in _open) { try { s.Shutdown(SocketShutdown.Both); } catch { } s.Dispose(); }
            _open.Clear();
        }
        if (File.Exists(Path)) File.Delete(Path);
    }

    private async Task AcceptLoop(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(ct); }
            catch { return; }
            var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try { await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_target), ct); }
            catch { client.Dispose(); upstream.Dispose(); continue; }
            lock (_open) { _open.Add(client); _open.Add(upstream); }
            _ = Pump(client, upstream);
            _ = Pump(upstream, client);
        }
    }

    private static async Task Pump(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch { /* the other side or Stop() closed it */ }
    }

    public void Dispose() => Stop();
}
