using Akka.Actor;
using Godo.Messages.Wire;

namespace Godo.Aggregator.History;

/// <summary>
/// The one hook between ingest and history: whoever applies a host's snapshot or delta tells the tap, which hands it to
/// the history writer (nothing while none runs). Shared through DI, so the ingest stays unaware of the store.
/// </summary>
public sealed class HistoryTap
{
    private volatile IActorRef? _writer;

    public void Attach(IActorRef writer) => _writer = writer;

    public void Applied(IHostMessage message)
    {
        if (message is HostSnapshot or HostDelta) _writer?.Tell(new HistoryProtocol.Applied(message));
    }

    public void Recovered(HostSnapshot state, System.Collections.Immutable.ImmutableArray<HostDelta> replayed) =>
        _writer?.Tell(new HistoryProtocol.Recovered(state, replayed));

    public void Released(string host) => _writer?.Tell(new HistoryProtocol.Released(host));
}
