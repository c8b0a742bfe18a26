using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace Godo.Messages.Security;

/// <summary>
/// How every godo ActorSystem with Akka.Remote (agent, aggregator, standalone) is locked down, in one place:
/// <list type="bullet">
/// <item>untrusted mode: no remote deployment, no system messages (watch, terminate) and no PoisonPill/Kill from
/// outside, and actor selections only to <paramref name="trustedPaths"/>;</item>
/// <item>no SO_REUSEADDR/SO_REUSEPORT: a port in use is an error, never a second listener beside the first;</item>
/// <item>with <see cref="FleetTrust"/>: mutual TLS, where both ends must show a certificate of the fleet CA with an
/// allowed role, or the connection ends before Akka sees a byte (so no association, no message, no actor).</item>
/// </list>
/// </summary>
public static class RemotingSecurity
{
    public const string PlainScheme = "akka.tcp://";
    public const string TlsScheme = "akka.ssl.tcp://";

    /// <summary>
    /// What cluster members must reach of each other by actor selection: joining and gossip (the cluster daemon),
    /// heartbeats, the pub-sub mediator, the host shards' coordinator (its singleton manager, the coordinator, and the
    /// replicator of its state); and agents the ClusterClient receptionist.
    /// </summary>
    public static readonly IReadOnlyList<string> MemberPaths =
        ["/system/cluster/core/daemon", "/system/cluster/heartbeatReceiver", "/system/distributedPubSubMediator", "/system/receptionist",
         "/system/sharding/hostCoordinator", "/system/sharding/hostCoordinator/singleton/coordinator", "/system/sharding/aggregatorReplicator"];

    /// <summary>An agent takes nothing by selection: replies come to its ClusterClient's own actors, by reference.</summary>
    public static readonly IReadOnlyList<string> AgentPaths = [];

    public static AkkaConfigurationBuilder AddRemotingSecurity(this AkkaConfigurationBuilder builder, FleetTrust? trust,
        IReadOnlyCollection<FleetRole> peers, IReadOnlyList<string> trustedPaths)
    {
        var paths = string.Join(", ", trustedPaths.Select(p => $"\"{p}\""));
        builder.AddHocon($$"""
            akka.remote {
              untrusted-mode = on
              trusted-selection-paths = [{{paths}}]
              dot-netty.tcp {
                tcp-reuse-addr = off
                enable-ssl = {{(trust is null ? "false" : "true")}}
              }
            }
            """, HoconAddMode.Prepend);
        if (trust is not null)
            builder.AddSetup(new DotNettySslSetup(trust.Certificate, suppressValidation: false, requireMutualAuthentication: true,
                validateCertificateHostname: false, Validator(trust, peers)));
        return builder;
    }

    /// <summary>
    /// The check of every TLS peer, both directions: the fleet CA alone as root and a role in <paramref name="peers"/>.
    /// The SslStream's own verdict (against the system store) is ignored: the fleet CA is not in it, by design.
    /// </summary>
    public static CertificateValidationCallback Validator(FleetTrust trust, IReadOnlyCollection<FleetRole> peers) =>
        (cert, _, remotePeer, _, log) =>
        {
            var problem = trust.Problem(cert, peers);
            if (problem is not null) log.Warning("TLS peer {0} refused: {1}", remotePeer, problem);
            return problem is null;
        };

    /// <summary>An address as users write it (akka.tcp://godo@H:P) in the scheme this process speaks: akka.ssl.tcp under TLS.</summary>
    public static string InScheme(string address, bool tls)
    {
        var text = address.Trim();
        if (tls && text.StartsWith(PlainScheme, StringComparison.Ordinal)) return TlsScheme + text[PlainScheme.Length..];
        if (!tls && text.StartsWith(TlsScheme, StringComparison.Ordinal)) return PlainScheme + text[TlsScheme.Length..];
        return text;
    }
}
