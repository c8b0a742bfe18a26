using System.Collections.Immutable;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>
/// What the subscribers were last told of each running container, and the container changes of a delta that bring
/// them up to date. Plain: the tree actor owns one (tests drive one the same way).
/// </summary>
public sealed class SentContainers
{
    private Dictionary<string, ContainerInfo> _sent = new(StringComparer.Ordinal);

    /// <summary>A snapshot told them everything.</summary>
    public void Reset(IEnumerable<ContainerInfo> containers) => _sent = containers.ToDictionary(c => c.Id, StringComparer.Ordinal);

    /// <summary>
    /// The changes since the last call: <paramref name="running"/> is every running container now, as sent (enriched);
    /// <paramref name="delta"/> tells when each changed.
    /// </summary>
    public ImmutableArray<ContainerChange> Changes(TreeDelta delta, IReadOnlyList<ContainerInfo> running, DateTimeOffset? eventTime)
    {
        var containers = ImmutableArray.CreateBuilder<ContainerChange>();
        var now = running.ToDictionary(c => c.Id, StringComparer.Ordinal);
        DateTimeOffset? At(string id) =>
            delta.ContainerChangedAt.TryGetValue(id, out var ms) && ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : eventTime;
        foreach (var (id, info) in now)
            if (!_sent.TryGetValue(id, out var old) || !Same(old, info)) containers.Add(new ContainerChange(ContainerChangeKind.Upsert, info, At(id)));
        foreach (var (id, info) in _sent)
            if (!now.ContainsKey(id)) containers.Add(new ContainerChange(ContainerChangeKind.Gone, info, At(id)));
        _sent = now;
        return containers.ToImmutable();
    }

    private static bool Same(ContainerInfo a, ContainerInfo b) =>
        a.Name == b.Name && a.Image == b.Image && a.InitPid == b.InitPid && a.ShimPid == b.ShimPid
        && a.ProcessCount == b.ProcessCount && a.State == b.State;
}
