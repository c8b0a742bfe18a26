using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Godo.Messages.Wire;

namespace Godo.Messages.Security;

/// <summary>
/// One agent per host, under TLS. Akka.Remote does not tell an actor which TLS peer sent a message, so the agent
/// proves its host inside the message: every snapshot carries its certificate and a signature, made with its TLS key,
/// over the host name, the incarnation and the time. An aggregator binds the host to that incarnation only when the
/// certificate is the fleet CA's, has role agent, names the host, and the signature is fresh and valid; messages of any
/// other incarnation for the host are refused. The incarnation (128 random bits) travels only inside TLS.
/// </summary>
public static class AgentProof
{
    /// <summary>How far a proof's time may be from the aggregator's clock: it cannot be replayed later than this.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    public static AgentIdentity Sign(X509Certificate2 certificate, string host, string incarnation, DateTimeOffset at)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("the agent's certificate has no ECDSA private key");
        var signature = key.SignData(Payload(host, incarnation, at), HashAlgorithmName.SHA256);
        return new AgentIdentity(certificate.ExportCertificatePem(), at, Convert.ToBase64String(signature));
    }

    /// <summary>Why <paramref name="identity"/> does not prove that this incarnation is the agent of <paramref name="host"/>; null when it does.</summary>
    public static string? Problem(AgentIdentity? identity, string host, string incarnation, FleetTrust trust, DateTimeOffset now)
    {
        if (identity is null) return "no certificate proof (an agent without --tls-cert?)";
        X509Certificate2 cert;
        try { cert = X509Certificate2.CreateFromPem(identity.CertificatePem); }
        catch (CryptographicException) { return "the proof's certificate is not PEM"; }
        using (cert)
        {
            if (trust.Problem(cert, [FleetRole.Agent]) is { } problem) return problem;
            if (!FleetCertificates.Names(cert, host)) return $"the certificate names '{FleetCertificates.NameOf(cert)}', not '{host}'";
            if ((now - identity.SignedAt).Duration() > MaxSkew) return $"the proof was signed at {identity.SignedAt:O}, too far from now";
            using var key = cert.GetECDsaPublicKey();
            byte[] signature;
            try { signature = Convert.FromBase64String(identity.Signature); }
            catch (FormatException) { return "the signature is not base64"; }
            if (key is null || !key.VerifyData(Payload(host, incarnation, identity.SignedAt), signature, HashAlgorithmName.SHA256))
                return "the signature does not match the certificate";
        }
        return null;
    }

    private static byte[] Payload(string host, string incarnation, DateTimeOffset at) =>
        Encoding.UTF8.GetBytes($"godo-agent-proof\n{host}\n{incarnation}\n{at.ToUnixTimeMilliseconds()}");
}
