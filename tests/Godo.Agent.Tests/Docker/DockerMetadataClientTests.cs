using System.Globalization;
using System.Threading.Channels;
using Godo.Agent.Docker;
using Godo.Agent.Tests.Infrastructure;

namespace Godo.Agent.Tests.Docker;

/// <summary>DockerMetadataClient against the real Docker engine.</summary>
[Collection(DockerCollection.Name)]
public class DockerMetadataClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ListsContainerAsDockerPsShowsIt()
    {
        using var container = new TestContainer("list", ["--label", "godo.test=list", "--label", "other=x y"], ["sleep", "1000"]);
        var ps = DockerCli.Run("ps", "--no-trunc", "--filter", $"id={container.Id}", "--format", "{{.ID}}\t{{.Names}}\t{{.Image}}").Split('\t');
        Assert.Equal(container.Id, ps[0]);

        await using var client = new DockerMetadataClient();
        var all = await client.ListContainersAsync();
        var c = Assert.Single(all, x => x.Id == container.Id);

        Assert.Equal(ps[1], c.Name);
        Assert.Equal(container.Name, c.Name);
        Assert.Equal(ps[2], c.Image);
        Assert.Equal(DockerCollection.TestImage, c.Image);
        Assert.Equal("running", c.State);
        Assert.Equal(int.Parse(container.Inspect("{{.State.Pid}}"), CultureInfo.InvariantCulture), c.Pid);
        Assert.Equal(DateTimeOffset.Parse(container.Inspect("{{.State.StartedAt}}"), CultureInfo.InvariantCulture), c.StartedAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Null(c.FinishedAt);
        Assert.Equal("list", c.Labels["godo.test"]);
        Assert.Equal("x y", c.Labels["other"]);
        Assert.StartsWith("sha256:", c.ImageId);

        var info = c.ToContainerInfo(processCount: 1);
        Assert.Equal(c.Id, info.Id);
        Assert.Equal(c.Name, info.Name);
        Assert.Equal(c.Pid, info.InitPid);
        Assert.Equal("running", info.State);
    }

    [Fact]
    public async Task ListsStoppedContainersToo()
    {
        var name = DockerCli.NewName("stopped");
        var id = DockerCli.Run("create", "--name", name, DockerCollection.TestImage, "true");
        try
        {
            await using var client = new DockerMetadataClient();
            var c = Assert.Single(await client.ListContainersAsync(), x => x.Id == id);
            Assert.Equal("created", c.State);
            Assert.Null(c.Pid);
            Assert.Null(c.StartedAt);
        }
        finally
        {
            DockerCli.RemoveQuietly(id);
        }
    }

    [Fact]
    public async Task InspectsByIdAndName()
    {
        using var container = new TestContainer("inspect", "sleep", "1000");
        await using var client = new DockerMetadataClient();
        var byId = await client.InspectAsync(container.Id);
        var byName = await client.InspectAsync(container.Name);
        Assert.NotNull(byId);
        Assert.Equal(byId, byName! with { Labels = byId!.Labels }); // records compare dictionaries by reference
        Assert.Equal(container.Name, byId.Name);
        Assert.Equal(DockerCollection.TestImage, byId.Image);
        Assert.Null(await client.InspectAsync("godotest-does-not-exist-" + Guid.NewGuid().ToString("N")));
        Assert.True(await client.PingAsync());
    }

    [Fact]
    public async Task EventStreamReportsLifecycle()
    {
        await using var client = new DockerMetadataClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var run = client.RunAsync(cts.Token);

        // Wait until the loop is connected (it lists after opening the stream).
        var first = await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, cts.Token);
        Assert.True(first.Available, first.Reason);
        await Next<DockerContainersListed>(client.Notifications, _ => true, cts.Token);
        Assert.True(client.IsAvailable);

        var name = DockerCli.NewName("events");
        var renamed = name + "-renamed";
        string id = "";
        try
        {
            id = DockerCli.Run("create", "--name", name, "--label", "godo.test=events", DockerCollection.TestImage, "sleep", "1000");
            DockerCli.Run("start", name);
            DockerCli.Run("rename", name, renamed);
            DockerCli.Run("kill", renamed);
            DockerCli.Run("rm", renamed);

            var mine = new List<DockerContainerEvent>();
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            wait.CancelAfter(Patience);
            while (true)
            {
                var ev = await Next<DockerContainerEvent>(client.Notifications, e => e.ContainerId == id, wait.Token);
                mine.Add(ev);
                if (ev.Action == DockerContainerAction.Destroy) break;
            }

            var actions = mine.Select(e => e.Action).ToList();
            DockerContainerAction[] expected =
            [
                DockerContainerAction.Create, DockerContainerAction.Start, DockerContainerAction.Rename,
                DockerContainerAction.Kill, DockerContainerAction.Die, DockerContainerAction.Destroy,
            ];
            Assert.Equal(expected, actions);

            var create = mine[0];
            Assert.Equal(name, create.Name);
            Assert.Equal(DockerCollection.TestImage, create.Image);
            Assert.Equal("events", create.Attributes["godo.test"]);

            var start = mine[1];
            Assert.NotNull(start.Container);
            Assert.True(start.Container.Pid > 0 || start.Container.State != "running"); // inspected right after start
            Assert.NotNull(start.Container.StartedAt);

            var rename = mine[2];
            Assert.Equal(renamed, rename.Name);
            Assert.Equal(name, rename.OldName);
            Assert.Equal(renamed, rename.Container?.Name);

            Assert.Equal("9", mine[3].Signal);
            Assert.Equal(137, mine[4].ExitCode);
            Assert.Equal(renamed, mine[5].Name);
            Assert.Null(mine[5].Container);
            Assert.True(mine.Zip(mine.Skip(1)).All(p => p.First.Time <= p.Second.Time));
            Assert.All(mine, e => Assert.InRange(e.Time, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1)));
        }
        finally
        {
            if (id != "") DockerCli.RemoveQuietly(id);
            cts.Cancel();
            await run; // never throws
        }
        Assert.True(client.Notifications.Completion.IsCompleted);
    }

    [Fact]
    public async Task ReconnectsAndRelistsWhenDockerComesBack()
    {
        var dir = Directory.CreateTempSubdirectory("godo-docker-proxy-").FullName;
        using var proxy = new UnixSocketProxy(Path.Combine(dir, "docker.sock"), DockerMetadataClientOptions.DefaultSocketPath);
        var options = new DockerMetadataClientOptions
        {
            SocketPath = proxy.Path,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
        };
        await using var client = new DockerMetadataClient(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var run = client.RunAsync(cts.Token);
        try
        {
            // 1. Docker absent: reported, no exception, retries.
            var down = await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, cts.Token);
            Assert.False(down.Available);
            Assert.False(string.IsNullOrEmpty(down.Reason));
            Assert.False(client.IsAvailable);

            // 2. Docker appears: available, then a full list.
            using var container = new TestContainer("reconnect", "sleep", "1000");
            proxy.Start();
            var up = await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, cts.Token);
            Assert.True(up.Available);
            var listed = await Next<DockerContainersListed>(client.Notifications, _ => true, cts.Token);
            Assert.Contains(listed.Containers, c => c.Id == container.Id);

            // 3. Docker "restarts" (every connection dropped): unavailable, then back with a fresh list that
            //    includes what changed meanwhile (metadata catches up).
            proxy.Stop();
            var lost = await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, cts.Token);
            Assert.False(lost.Available);
            DockerCli.Run("rename", container.Id, container.Name + "-while-away");
            proxy.Start();
            Assert.True((await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, cts.Token)).Available);
            var relisted = await Next<DockerContainersListed>(client.Notifications, _ => true, cts.Token);
            Assert.Equal(container.Name + "-while-away", Assert.Single(relisted.Containers, c => c.Id == container.Id).Name);
        }
        finally
        {
            cts.Cancel();
            await run;
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task UnreachableDockerNeverThrows()
    {
        var options = new DockerMetadataClientOptions
        {
            SocketPath = "/nonexistent/godo/docker.sock",
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromMilliseconds(40),
        };
        await using var client = new DockerMetadataClient(options);
        using var cts = new CancellationTokenSource();
        var run = client.RunAsync(cts.Token);
        var down = await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, new CancellationTokenSource(Patience).Token);
        Assert.False(down.Available);
        await Task.Delay(300); // several retries, each failing
        Assert.False(client.IsAvailable);
        Assert.False(await client.PingAsync());
        await Assert.ThrowsAsync<DockerApiException>(() => client.ListContainersAsync());
        cts.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(run.IsCompletedSuccessfully);
        // Only one "unavailable" was published for the whole outage, and the channel is complete.
        var rest = new List<DockerNotification>();
        await foreach (var n in client.Notifications.ReadAllAsync()) rest.Add(n);
        Assert.Empty(rest);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task DisposeEndsTheLoop()
    {
        var client = new DockerMetadataClient(new DockerMetadataClientOptions { SocketPath = "/nonexistent/godo/docker.sock" });
        var run = client.RunAsync(CancellationToken.None);
        await Next<DockerAvailabilityChanged>(client.Notifications, _ => true, CancellationToken.None);
        await client.DisposeAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(run.IsCompletedSuccessfully);
        Assert.True(client.Notifications.Completion.IsCompleted);
    }

    /// <summary>Next notification of type T matching the predicate, skipping others (e.g. other people's containers).</summary>
    private static async Task<T> Next<T>(ChannelReader<DockerNotification> reader, Func<T, bool> match, CancellationToken ct)
        where T : DockerNotification
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Patience);
        while (true)
        {
            DockerNotification n;
            try
            {
                n = await reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {typeof(T).Name} within {Patience}");
            }
            if (n is T t && match(t)) return t;
        }
    }
}
