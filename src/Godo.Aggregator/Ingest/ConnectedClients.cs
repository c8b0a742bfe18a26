using System.Collections.Concurrent;

namespace Godo.Aggregator.Ingest;

/// <summary>The ClusterClients (agents) connected to this node's receptionist, by address: the ingest actor keeps it, `GET /api/cluster` reads it.</summary>
public sealed class ConnectedClients
{
    private readonly ConcurrentDictionary<string, byte> _addresses = new(StringComparer.Ordinal);

    public void Up(string address) => _addresses[address] = 0;
    public void Gone(string address) => _addresses.TryRemove(address, out _);
    public bool Contains(string address) => _addresses.ContainsKey(address);
}
