using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;

namespace Godo.Aggregator.Ops;

/// <summary>A member as the downing decision sees it: where it is, its status, and whether this node finds it unreachable.</summary>
public sealed record MemberView(Address Address, MemberStatus Status, bool Unreachable);

/// <summary>What a TCP connect to a member's remoting port found.</summary>
public enum PortProbe
{
    /// <summary>Connection refused: nothing listens there, so the member's process is gone (it never closes its port while it runs).</summary>
    Refused,
    /// <summary>Something accepted: the member may be alive (slow, paused, or partitioned one way); the resolver decides.</summary>
    Open,
    /// <summary>No answer, no route or no name: a partition looks like this, so it is no evidence either way.</summary>
    NoAnswer,
}

/// <summary>
/// When a member whose process is gone may be downed at once, instead of after the failure detector (3.5-6 s) and the
/// split-brain resolver's stable-after (2 s more). Only with evidence that a partition cannot give on its own (its port
/// refuses connections), and only when the resolver would down it anyway: this side keeps the majority by the
/// resolver's own count (keep-majority, counting against this side every member whose fate is uncertain). So the fast
/// path never downs a member the resolver would keep; it only skips the wait.
/// </summary>
public static class CrashedMembers
{
    /// <summary>Whether <paramref name="suspect"/> may be downed from <paramref name="self"/>'s side, should its port refuse connections.</summary>
    public static bool MayDown(Address suspect, Address self, IReadOnlyCollection<MemberView> members)
    {
        if (suspect == self) return false;
        var s = members.FirstOrDefault(m => m.Address == suspect);
        var me = members.FirstOrDefault(m => m.Address == self);
        // A leaving member hands its shards off by itself; a joining one holds nothing yet: neither is worth the risk.
        if (s is null || s.Status is not (MemberStatus.Up or MemberStatus.WeaklyUp)) return false;
        if (me is null || me.Status != MemberStatus.Up || me.Unreachable) return false;
        // As the resolver's edge case counts: this side as few as could be (Up only), the other as many (Joining, WeaklyUp, Leaving too).
        var thisSide = members.Count(m => m.Status == MemberStatus.Up && !m.Unreachable && m.Address != suspect);
        var otherSide = members.Count(m => m.Address == suspect ||
            (m.Unreachable && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Leaving));
        if (thisSide != otherSide) return thisSide > otherSide;
        // Equal halves: the resolver keeps the one with the lowest address among the members it counts.
        var lowest = members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving)
            .Select(m => m.Address).OrderBy(a => a, Member.AddressOrdering).FirstOrDefault();
        return lowest is not null && lowest != suspect && members.Any(m => m.Address == lowest && !m.Unreachable);
    }

    /// <summary>The members of <paramref name="state"/> as <see cref="MayDown"/> takes them.</summary>
    public static IReadOnlyCollection<MemberView> Of(ClusterEvent.CurrentClusterState state) =>
        state.Members.Select(m => new MemberView(m.Address, m.Status, state.Unreachable.Contains(m))).ToList();

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and closes at once (no byte sent).</summary>
    public static async Task<PortProbe> ProbeAsync(string host, int port, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            return PortProbe.Open;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { return PortProbe.Refused; }
        catch (Exception e) when (e is SocketException or OperationCanceledException) { return PortProbe.NoAnswer; }
    }
}
