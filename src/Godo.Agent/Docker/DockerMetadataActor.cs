using Akka.Actor;
using Akka.Event;
using Godo.Agent.Tree;

namespace Godo.Agent.Docker;

/// <summary>
/// Follows the Docker Engine (list + event stream) and tells the tree actor each container's name, image,
/// labels and state. When a container stops it asks for a /proc reconciliation, because a torn-down pid
/// namespace leaves no audit records. Docker being absent or restarting only delays metadata.
/// </summary>
public sealed class DockerMetadataActor : ReceiveActor
{
    private readonly IActorRef _tree;
    private readonly DockerMetadataClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public DockerMetadataActor(IActorRef tree, DockerMetadataClientOptions options)
    {
        _tree = tree;
        _client = new DockerMetadataClient(options);
        Receive<DockerAvailabilityChanged>(m =>
        {
            if (m.Available) _log.Info("docker is available");
            else _log.Warning("docker is not available ({0}); the tree goes on without names and images", m.Reason ?? "no answer");
        });
        Receive<DockerContainersListed>(m =>
        {
            var ids = m.Containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _known.Where(id => !ids.Contains(id)).ToList()) Forget(gone);
            foreach (var c in m.Containers) Tell(c);
        });
        Receive<DockerContainerEvent>(m =>
        {
            if (m.Action == DockerContainerAction.Destroy) { Forget(m.ContainerId); return; }
            if (m.Container is not null) Tell(m.Container);
            if (m.Action is DockerContainerAction.Die or DockerContainerAction.Stop or DockerContainerAction.Kill or DockerContainerAction.Oom)
                Context.System.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(1500), _tree,
                    new TreeProtocol.RequestReconcile($"container {m.ContainerId[..Math.Min(12, m.ContainerId.Length)]} stopped"), Self);
        });
    }

    private void Tell(DockerContainer c)
    {
        _known.Add(c.Id);
        _tree.Tell(new TreeProtocol.ContainerMetadata(c.Id, c.ToContainerInfo()));
    }

    private void Forget(string id)
    {
        _known.Remove(id);
        _tree.Tell(new TreeProtocol.ContainerMetadata(id, null));
    }

    protected override void PreStart()
    {
        var self = Self;
        _ = _client.RunAsync(_stop.Token);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var n in _client.Notifications.ReadAllAsync(_stop.Token)) self.Tell(n);
            }
            catch (OperationCanceledException) { }
        });
    }

    protected override void PostStop()
    {
        _stop.Cancel();
        _client.Dispose();
    }

    public static Props Props(IActorRef tree, DockerMetadataClientOptions options) =>
        Akka.Actor.Props.Create(() => new DockerMetadataActor(tree, options));
}
