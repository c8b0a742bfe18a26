using Godo.Messages.Wire;

namespace Godo.Messages.Security;

/// <summary>
/// A host message handed from the standalone's own agent to its ingest inside one process. Its key is an object
/// reference: no message from outside can carry it (a deserialized copy is never the same object), so the ingest can
/// take this host without the certificate proof remote agents give.
/// </summary>
public sealed record InProcessMessage(IHostMessage Message, object Key)
{
    private static readonly object ProcessKey = new();

    public static InProcessMessage Wrap(IHostMessage message) => new(message, ProcessKey);

    public bool IsGenuine => ReferenceEquals(Key, ProcessKey);
}
