namespace Godo.Aggregator.Hosts;

/// <summary>
/// The ids of the last tree queries a host's entity answered, so a query its asker sent again (in case the first went
/// to a member that died) is not answered twice. Bounded: an asker repeats within seconds, while far fewer than
/// <see cref="Capacity"/> other queries reach one host. Plain: its entity owns it.
/// </summary>
public sealed class AnsweredQueries(int capacity = 256)
{
    private readonly HashSet<long> _ids = new();
    private readonly Queue<long> _order = new();

    public int Capacity { get; } = capacity;

    /// <summary>True the first time <paramref name="id"/> is seen (0, no id, always); false for a repeat.</summary>
    public bool First(long id)
    {
        if (id == 0) return true;
        if (!_ids.Add(id)) return false;
        _order.Enqueue(id);
        if (_order.Count > Capacity) _ids.Remove(_order.Dequeue());
        return true;
    }
}
