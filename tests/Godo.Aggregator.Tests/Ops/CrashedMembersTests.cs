using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Godo.Aggregator.Ops;

namespace Godo.Aggregator.Tests.Ops;

/// <summary>
/// The fast path for a crashed member downs only what the split-brain resolver (keep-majority) would down anyway, and
/// only on a port that refuses connections; its failure detector says unavailable for a gone member until a heartbeat.
/// </summary>
public sealed class CrashedMembersTests
{
    private static Address At(int port) => new("akka.tcp", "godo", "127.0.0.1", port);
    private static MemberView Up(int port, bool unreachable = false) => new(At(port), MemberStatus.Up, unreachable);

    [Fact]
    public void The_majority_side_may_down_a_member_that_lost_its_link()
    {
        var members = new[] { Up(1), Up(2), Up(3) };
        Assert.True(CrashedMembers.MayDown(At(3), At(1), members));
        Assert.True(CrashedMembers.MayDown(At(1), At(2), members), "the oldest (lowest) one too: 2 of 3 stay");
    }

    [Fact]
    public void A_side_that_would_not_keep_the_majority_leaves_it_to_the_resolver()
    {
        // 2 of 4 unreachable already: with the suspect, this side is 1 against 3.
        Assert.False(CrashedMembers.MayDown(At(4), At(1), [Up(1), Up(2, unreachable: true), Up(3, unreachable: true), Up(4)]));
        // 2 of 4 in all, this side without the lowest address: the resolver would down this side, not the other.
        Assert.False(CrashedMembers.MayDown(At(1), At(3), [Up(1), Up(2, unreachable: true), Up(3), Up(4)]));
        // Equal halves with the lowest address on this side: the resolver keeps this side.
        Assert.True(CrashedMembers.MayDown(At(4), At(1), [Up(1), Up(2), Up(3, unreachable: true), Up(4)]));
        // Two members: the survivor keeps the cluster only if it has the lower address.
        Assert.True(CrashedMembers.MayDown(At(2), At(1), [Up(1), Up(2)]));
        Assert.False(CrashedMembers.MayDown(At(1), At(2), [Up(1), Up(2)]));
    }

    [Fact]
    public void Leaving_joining_unknown_and_self_are_never_downed_this_way()
    {
        var members = new List<MemberView> { Up(1), Up(2), Up(3), new(At(4), MemberStatus.Leaving, false), new(At(5), MemberStatus.Joining, false) };
        Assert.False(CrashedMembers.MayDown(At(4), At(1), members), "a leaving member hands off its shards itself");
        Assert.False(CrashedMembers.MayDown(At(5), At(1), members), "a joining member holds nothing");
        Assert.False(CrashedMembers.MayDown(At(9), At(1), members), "not a member");
        Assert.False(CrashedMembers.MayDown(At(1), At(1), members), "self");
        Assert.False(CrashedMembers.MayDown(At(3), At(1), [Up(1, unreachable: true), Up(2), Up(3)]), "self seen unreachable");
    }

    [Fact]
    public async Task A_closed_port_is_refused_and_a_listening_one_is_open()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var open = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.Equal(PortProbe.Open, await CrashedMembers.ProbeAsync("127.0.0.1", open, TimeSpan.FromSeconds(2)));
        listener.Stop();
        Assert.Equal(PortProbe.Refused, await CrashedMembers.ProbeAsync("127.0.0.1", open, TimeSpan.FromSeconds(2)));
        Assert.Equal(PortProbe.NoAnswer, await CrashedMembers.ProbeAsync("no-such-host.invalid", 4053, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void The_failure_detector_says_a_gone_member_is_unavailable_until_it_heartbeats_again()
    {
        using var system = ActorSystem.Create("fd", ConfigurationFactory.ParseString("akka.actor.provider = cluster, akka.remote.dot-netty.tcp.port = 0"));
        var config = system.Settings.Config.GetConfig("akka.cluster.failure-detector");
        var gone = new CrashedMemberFailureDetector(config, system.EventStream) { Address = At(7).ToString() };
        var other = new CrashedMemberFailureDetector(config, system.EventStream) { Address = At(8).ToString() };
        gone.HeartBeat();
        other.HeartBeat();
        Assert.True(gone.IsAvailable);
        CrashedMemberFailureDetector.MarkGone(At(7));
        Assert.False(gone.IsAvailable);
        Assert.True(other.IsAvailable);
        gone.HeartBeat();
        Assert.True(gone.IsAvailable, "a heartbeat comes from a live process at that address");

        // No heartbeat ever (as after its removal): only the mark made it unavailable, and forgetting drops the mark.
        var removed = new CrashedMemberFailureDetector(config, system.EventStream) { Address = At(9).ToString() };
        CrashedMemberFailureDetector.MarkGone(At(9));
        Assert.False(removed.IsAvailable);
        CrashedMemberFailureDetector.Forget(At(9)); // its member was removed: no mark is kept for it
        Assert.True(removed.IsAvailable);
    }
}
