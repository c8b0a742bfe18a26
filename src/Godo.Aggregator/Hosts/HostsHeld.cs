using System.Collections.Concurrent;
using Godo.Aggregator.Fleet;

namespace Godo.Aggregator.Hosts;

/// <summary>
/// The host entities running on this member, by host: each registers its state while it lives. Read by /metrics
/// (godo_hosts_held), /ops/memory and tests; the fleet-wide views use the <see cref="HostDirectory"/> instead.
/// </summary>
public sealed class HostsHeld
{
    private readonly ConcurrentDictionary<string, FleetState> _held = new(StringComparer.Ordinal);

    internal void Add(string host, FleetState state) => _held[host] = state;
    internal void Remove(string host, FleetState state) => _held.TryRemove(new KeyValuePair<string, FleetState>(host, state));

    /// <summary>Hosts whose entity runs here and knows the host.</summary>
    public int Count => _held.Values.Count(s => s.HostCount > 0);
    public IReadOnlyList<string> Hosts => _held.Where(kv => kv.Value.HostCount > 0).Select(kv => kv.Key).OrderBy(h => h, StringComparer.Ordinal).ToList();
    public long TotalProcesses => _held.Values.Sum(s => s.TotalProcesses);

    /// <summary>The host's state, when its entity runs on this member.</summary>
    public HostState? Get(string host) => _held.TryGetValue(host, out var s) ? s.Get(host) : null;
}
