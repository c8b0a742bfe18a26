using System.Net.Sockets;

namespace Godo.Agent.Docker;

/// <summary>An <see cref="HttpClient"/> whose every connection goes to one unix socket.</summary>
internal static class UnixSocketHttp
{
    public static HttpClient Create(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            // A restarted engine leaves dead pooled connections behind: do not keep them long.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        return new HttpClient(handler)
        {
            BaseAddress = new Uri("http://docker/"),
            Timeout = Timeout.InfiniteTimeSpan, // per-request limits are set by the caller; /events is endless
        };
    }
}
