using System.Text;
using System.Threading.Channels;
using Godo.Agent.Docker;
using Godo.Agent.Tests.Infrastructure;
using static Godo.Agent.Tests.Infrastructure.FakeDockerSocket;

namespace Godo.Agent.Tests.Docker;

/// <summary>The HTTP/1.1 reader under the Docker client, and the client, against answers Docker itself never sends.</summary>
public class DockerConnectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const string Id = "c25b200434426f186db24b707eed106aa6fa4a2dce2bd4082f15350b5a093779";
    private static readonly string StartEvent =
        $$$"""{"status":"start","id":"{{{Id}}}","from":"godo/busybox:1","Type":"container","Action":"start","Actor":{"ID":"{{{Id}}}","Attributes":{"image":"godo/busybox:1","name":"probe"}},"time":1795927501,"timeNano":1795927501874245565}""";

    private static async Task<string> Body(string socket, string target)
    {
        using var cts = new CancellationTokenSource(Patience);
        using var c = await DockerConnection.GetAsync(socket, target, cts.Token);
        return Encoding.UTF8.GetString((await c.ReadToEndAsync(1 << 20, cts.Token)).Span);
    }

    [Fact]
    public async Task ReadsEveryFramingOfABody()
    {
        using var docker = new FakeDockerSocket(target => target switch
        {
            "/chunked" => (Chunked(200, "[{\"a\":", "1},", "{\"b\":2}]").Append(Ascii("0;ext=1\r\nTrailer: x\r\n\r\n")), false),
            "/length" => (WithLength(200, "{\"Id\":\"é\"}"), false),
            "/close" => ([Ascii("HTTP/1.1 200 OK\r\n\r\nuntil"), Ascii(" the end")], false),
            "/empty" => ([Ascii("HTTP/1.1 204 No Content\r\n\r\n")], false),
            _ => (WithLength(404, "{\"message\":\"no such\"}"), false),
        });
        Assert.Equal("[{\"a\":1},{\"b\":2}]", await Body(docker.Path, "chunked"));
        Assert.Equal("{\"Id\":\"é\"}", await Body(docker.Path, "length"));
        Assert.Equal("until the end", await Body(docker.Path, "close"));
        Assert.Equal("", await Body(docker.Path, "empty"));
        using var missing = await DockerConnection.GetAsync(docker.Path, "nothing", CancellationToken.None);
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task LinesSpanChunksAndOversizedOnesAreSkipped()
    {
        var huge = new string('x', 5000);
        using var docker = new FakeDockerSocket(_ =>
            (Chunked(200, "one\r\ntw", "o\n", huge, huge + "\nthree\n", "four").Append(LastChunk), false));
        using var c = await DockerConnection.GetAsync(docker.Path, "events", CancellationToken.None);
        var lines = new List<string>();
        while (await c.ReadLineAsync(4096, CancellationToken.None) is { } line)
            lines.Add(line.IsTooLong ? "<too long>" : Encoding.UTF8.GetString(line.Bytes.Span));
        Assert.Equal(["one", "two", "<too long>", "three", "four"], lines);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut short")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\ncut")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-")]
    public async Task BadFramingIsAProtocolError(string answer)
    {
        using var docker = new FakeDockerSocket(_ => ([Ascii(answer)], false));
        await Assert.ThrowsAsync<DockerProtocolException>(() => Body(docker.Path, "x"));
    }

    [Fact]
    public async Task OversizedHeadIsAProtocolError()
    {
        using var docker = new FakeDockerSocket(_ => ([Ascii("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 100_000))], true));
        await Assert.ThrowsAsync<DockerProtocolException>(() => Body(docker.Path, "x"));
    }

    [Fact]
    public async Task BadEventsAreCountedAndTheStreamGoesOn()
    {
        using var docker = new FakeDockerSocket(target => target switch
        {
            _ when target.StartsWith("/events?filters=", StringComparison.Ordinal) =>
                (Chunked(200, "{not json\n", "\n", new string('y', DockerMetadataClient.MaxEventBytes + 10) + "\n", StartEvent + "\n"), true),
            "/containers/json?all=1" => (Chunked(200, "[]").Append(LastChunk), false),
            _ => (WithLength(404, "{}"), false), // the inspect after the start event: the container is gone
        });
        await using var client = new DockerMetadataClient(new DockerMetadataClientOptions { SocketPath = docker.Path });
        using var cts = new CancellationTokenSource(Patience);
        var run = client.RunAsync(cts.Token);
        Assert.True((await Next<DockerAvailabilityChanged>(client.Notifications, cts.Token)).Available);
        Assert.Empty((await Next<DockerContainersListed>(client.Notifications, cts.Token)).Containers);
        var ev = await Next<DockerContainerEvent>(client.Notifications, cts.Token);
        Assert.Equal((DockerContainerAction.Start, Id, "probe", (DockerContainer?)null), (ev.Action, ev.ContainerId, ev.Name, ev.Container));
        Assert.Equal(2, client.Malformed);
        Assert.True(client.IsAvailable);
        cts.Cancel();
        await run;
        // The filter Docker was asked for: container actions only, as JSON.
        var filters = Uri.UnescapeDataString(docker.Targets.First(t => t.StartsWith("/events", StringComparison.Ordinal))["/events?filters=".Length..]);
        Assert.StartsWith("{\"type\":[\"container\"],\"event\":[\"create\",\"start\",", filters);
    }

    [Fact]
    public async Task GarbageFromTheSocketIsAnOutageNotACrash()
    {
        using var docker = new FakeDockerSocket(_ => ([Ascii("\u0000\u0001garbage\r\n\r\n")], false));
        var options = new DockerMetadataClientOptions
        {
            SocketPath = docker.Path, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20),
        };
        await using var client = new DockerMetadataClient(options);
        using var cts = new CancellationTokenSource(Patience);
        var run = client.RunAsync(cts.Token);
        var down = await Next<DockerAvailabilityChanged>(client.Notifications, cts.Token);
        Assert.False(down.Available);
        Assert.Contains("status line", down.Reason);
        await Eventually(() => client.Malformed >= 3, cts.Token); // it kept retrying, counting each
        await Assert.ThrowsAsync<DockerApiException>(() => client.ListContainersAsync(cts.Token));
        Assert.False(await client.PingAsync(cts.Token));
        cts.Cancel();
        await run;
        Assert.True(run.IsCompletedSuccessfully);
    }

    private static async Task Eventually(Func<bool> condition, CancellationToken ct)
    {
        while (!condition()) await Task.Delay(20, ct);
    }

    private static async Task<T> Next<T>(ChannelReader<DockerNotification> reader, CancellationToken ct) where T : DockerNotification
    {
        while (true)
            if (await reader.ReadAsync(ct) is T t) return t;
    }
}
