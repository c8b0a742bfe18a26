using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote;

namespace Godo.Aggregator.Ops;

/// <summary>
/// The cluster's failure detector (phi accrual, as configured), except that a member known to be gone is unavailable at
/// once. Downing alone is not enough to move a crashed member's shards: the leader removes a downed member only once it
/// is also unreachable, which the heartbeats alone say 3.5-6 s after the crash. With this detector the next reaper tick
/// (1 s) says it. Akka's registry names each phi detector after its member's address, which is what is looked up here.
/// </summary>
public sealed class CrashedMemberFailureDetector(Config config, EventStream eventStream) : PhiAccrualFailureDetector(config, eventStream)
{
    /// <summary>
    /// Addresses (as Akka prints them) whose process is gone; static because Akka builds detectors by class name. An
    /// address leaves it with a heartbeat from a new process there, or when its member is removed from the cluster.
    /// </summary>
    private static readonly ConcurrentDictionary<string, byte> Gone = new();

    /// <summary>Marks the member at <paramref name="address"/> gone, until a heartbeat from that address (a new process there) clears it.</summary>
    public static void MarkGone(Akka.Actor.Address address) => Gone[address.ToString()] = 0;

    /// <summary>The member at <paramref name="address"/> left the cluster: nothing asks about it any more.</summary>
    public static void Forget(Akka.Actor.Address address) => Gone.TryRemove(address.ToString(), out _);

    public override bool IsAvailable => !Gone.ContainsKey(Address) && base.IsAvailable;

    public override void HeartBeat()
    {
        // Heartbeats come from a live process: a new incarnation on the same address is not the one that died.
        if (!Gone.IsEmpty) Gone.TryRemove(Address, out _);
        base.HeartBeat();
    }
}
