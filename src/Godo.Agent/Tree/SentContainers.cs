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
    /// The changes since the last call: first each container's steps, at their own times (enriched with
    /// <paramref name="enrich"/>; a step that changed only the process count is left to the last), then what else makes
    /// <paramref name="running"/> (every running container now, enriched) differ from what was sent, such as Docker's
    /// names, at <paramref name="eventTime"/>.
    /// </summary>
    public ImmutableArray<ContainerChange> Changes(TreeDelta delta, IReadOnlyList<ContainerInfo> running, Func<string, ContainerInfo, ContainerInfo>? enrich,
        DateTimeOffset? eventTime)
    {
        var stepped = new List<(long At, ContainerChange Change)>();
        foreach (var (id, steps) in delta.ContainerSteps)
            for (var i = 0; i < steps.Count; i++)
            {
                var (ms, raw) = steps[i];
                var at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                if (raw is null)
                {
                    if (_sent.Remove(id, out var gone)) stepped.Add((ms, new ContainerChange(ContainerChangeKind.Gone, gone, at)));
                    continue;
                }
                var info = enrich is null ? raw : enrich(id, raw);
                if (_sent.TryGetValue(id, out var old) && Same(old, info, countToo: i == steps.Count - 1)) continue;
                _sent[id] = info;
                stepped.Add((ms, new ContainerChange(ContainerChangeKind.Upsert, info, at)));
            }
        var containers = ImmutableArray.CreateBuilder<ContainerChange>();
        containers.AddRange(stepped.OrderBy(s => s.At).Select(s => s.Change)); // stable: one container's steps stay in order
        var now = running.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var (id, info) in now)
            if (!_sent.TryGetValue(id, out var old) || !Same(old, info, countToo: true)) containers.Add(new ContainerChange(ContainerChangeKind.Upsert, info, eventTime));
        foreach (var (id, info) in _sent)
            if (!now.ContainsKey(id)) containers.Add(new ContainerChange(ContainerChangeKind.Gone, info, eventTime));
        _sent = now;
        return containers.ToImmutable();
    }

    private static bool Same(ContainerInfo a, ContainerInfo b, bool countToo) =>
        a.Name == b.Name && a.Image == b.Image && a.InitPid == b.InitPid && a.ShimPid == b.ShimPid && a.StartedAt == b.StartedAt
        && (!countToo || a.ProcessCount == b.ProcessCount) && a.State == b.State;
}
