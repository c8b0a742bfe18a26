using System.Collections.Concurrent;
using Godo.Messages.Api;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Hosts;

/// <summary>
/// This member's copy of every host's latest <see cref="HostDirectoryEntry"/>, as the entities publish them: the
/// fleet-wide views (hosts, containers, where a container is) answer from it without the trees. One writer (the
/// <see cref="HostDirectoryActor"/>), any number of readers.
/// </summary>
public sealed class HostDirectory
{
    private readonly ConcurrentDictionary<string, HostDirectoryEntry> _entries = new(StringComparer.Ordinal);

    internal void Put(HostDirectoryEntry e)
    {
        if (e.Removed) _entries.TryRemove(e.Summary.Host, out _);
        else _entries[e.Summary.Host] = e;
    }

    public HostDirectoryEntry? Get(string host) => _entries.GetValueOrDefault(host);
    public int Count => _entries.Count;

    public IReadOnlyList<HostSummary> Hosts() =>
        _entries.Values.Select(e => e.Summary with { HeldBy = e.Member }).OrderBy(s => s.Host, StringComparer.Ordinal).ToList();

    public IReadOnlyList<HostDirectoryEntry> Entries(string? host = null) =>
        host is null ? _entries.Values.OrderBy(e => e.Summary.Host, StringComparer.Ordinal).ToList()
        : _entries.TryGetValue(host, out var e) ? [e] : [];

    public IReadOnlyList<ContainerView> Containers(string? host = null) =>
        Entries(host).SelectMany(e => e.Containers.IsDefault ? [] : e.Containers.Select(c => ContainerView.From(e.Summary.Host, c))).ToList();

    /// <summary>A container by full id, name, or unique id prefix (as docker accepts them), on one host or across the fleet.</summary>
    public IReadOnlyList<ContainerView> FindContainer(string key, string? host = null)
    {
        key = key.Trim();
        if (key.Length == 0) return [];
        var name = key.TrimStart('/');
        var all = Containers(host);
        var byId = all.Where(c => c.Id == key).ToList();
        if (byId.Count > 0) return byId;
        var byName = all.Where(c => c.Name is { } n && n.TrimStart('/') == name).ToList();
        if (byName.Count > 0) return byName;
        return all.Where(c => c.Id.StartsWith(key, StringComparison.OrdinalIgnoreCase)).ToList();
    }
}
