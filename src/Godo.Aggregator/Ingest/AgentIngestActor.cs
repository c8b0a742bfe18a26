using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using Godo.Aggregator.Hosts;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Ingest;

/// <summary>
/// `/user/agent-ingest` on every aggregator, registered with the ClusterClient receptionist: the front door of the
/// host entities. Agents `Send` (one member, the receptionist's own) their snapshot pieces, deltas, heartbeats and
/// feed here; each goes on to its host's entity through the shard region, which keeps the sender, so the entity's acks
/// and snapshot requests go back to the agent through the receptionist's tunnel. A bad host name stops here. It also
/// keeps the ClusterClients connected to this member, and tells the entities of the agents whose client went
/// unreachable (only the receptionist the client talked to notices).
/// </summary>
public sealed class AgentIngestActor : ReceiveActor
{
    private readonly IActorRef _hosts;
    private readonly HostDirectory _directory;
    private readonly ConnectedClients _clients;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public AgentIngestActor(IActorRef hosts, HostDirectory directory, ConnectedClients clients)
    {
        _hosts = hosts;
        _directory = directory;
        _clients = clients;
        Receive<IHostMessage>(m => Forward(m.Host, m));
        Receive<InProcessMessage>(m => Forward(m.Message.Host, m));
        Receive<AgentUnreachable>(m =>
        {
            foreach (var e in _directory.Entries())
                if (e.Summary.AgentAddress == m.AgentAddress) _hosts.Tell(new HostAgentLost(e.Summary.Host, m.AgentAddress));
        });
        Receive<ClusterClients>(m =>
        {
            foreach (var c in m.ClusterClientsList) _clients.Up(c.Path.Address.ToString());
        });
        Receive<ClusterClientUp>(m => _clients.Up(m.ClusterClient.Path.Address.ToString()));
        Receive<ClusterClientUnreachable>(m =>
        {
            var address = m.ClusterClient.Path.Address.ToString();
            _clients.Gone(address);
            Self.Tell(new AgentUnreachable(address, DateTimeOffset.UtcNow));
        });
    }

    protected override void PreStart()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            ClusterClientReceptionist.Get(Context.System).Underlying.Tell(SubscribeClusterClients.Instance, Self);
    }

    private void Forward(string host, object message)
    {
        if (HostNames.Problem(host) is { } badName)
        {
            _log.Debug("refused: {0}", badName);
            return;
        }
        _hosts.Forward(message);
    }
}
