using System.Security.Cryptography.X509Certificates;

namespace Godo.Messages.Security;

/// <summary>
/// What one godo process trusts and shows: its own certificate (with key) and the fleet CA, loaded from
/// `--tls-cert`, `--tls-key` and `--tls-ca`. Only the fleet CA is a root here: never the system's CA store, and no
/// revocation check (it would need the network; a fleet revokes by issuing a new CA).
/// </summary>
public sealed class FleetTrust
{
    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Ca { get; }
    public FleetRole Role { get; }
    public string Name { get; }

    private FleetTrust(X509Certificate2 certificate, X509Certificate2 ca, FleetRole role)
    {
        Certificate = certificate;
        Ca = ca;
        Role = role;
        Name = FleetCertificates.NameOf(certificate);
    }

    /// <summary>
    /// Loads and checks the files: readable PEM, the key matches, the certificate is the CA's and has
    /// <paramref name="role"/>. Every problem is one line in a <see cref="FleetTrustException"/>.
    /// </summary>
    public static FleetTrust Load(TlsFiles files, FleetRole role)
    {
        foreach (var (path, flag) in new[] { (files.Cert, "--tls-cert"), (files.Key, "--tls-key"), (files.Ca, "--tls-ca") })
            if (!File.Exists(path)) throw new FleetTrustException($"{flag} {path}: no such file");
        X509Certificate2 cert, ca;
        try { ca = FleetCertificates.LoadCertificate(files.Ca); }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        { throw new FleetTrustException($"--tls-ca {files.Ca}: not a PEM certificate ({e.Message})"); }
        try { cert = FleetCertificates.LoadWithKey(files.Cert, files.Key); }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        { throw new FleetTrustException($"--tls-cert {files.Cert} with --tls-key {files.Key}: not a PEM certificate and its key ({e.Message})"); }
        var trust = new FleetTrust(cert, ca, role);
        if (trust.Problem(cert, [role]) is { } problem) throw new FleetTrustException($"--tls-cert {files.Cert}: {problem}");
        return trust;
    }

    /// <summary>
    /// Why <paramref name="peer"/> is not a fleet certificate with one of <paramref name="roles"/>; null when it is:
    /// a chain to the fleet CA alone, within its validity, for TLS use, and an OU naming an allowed role.
    /// </summary>
    public string? Problem(X509Certificate2? peer, IReadOnlyCollection<FleetRole> roles)
    {
        if (peer is null) return "no certificate";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(peer))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return $"'{peer.Subject}' is not from the fleet CA ({status})";
        }
        // With a custom root, a chain that builds ends at the fleet CA; make sure it is that very certificate.
        if (!chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(Ca.RawDataMemory.Span))
            return $"'{peer.Subject}' does not chain to the fleet CA";
        var role = FleetCertificates.RoleOf(peer);
        if (role is null || !roles.Contains(role.Value))
            return $"'{peer.Subject}' has role {(role is null ? "none" : FleetRoles.Name(role.Value))}, expected {string.Join(" or ", roles.Select(FleetRoles.Name))}";
        return null;
    }
}

/// <summary>The three PEM files of `--tls-cert`, `--tls-key` and `--tls-ca`.</summary>
public sealed record TlsFiles(string Cert, string Key, string Ca);

/// <summary>TLS files that cannot be used (missing, unreadable, another CA, the wrong role): one line, exit 2.</summary>
public sealed class FleetTrustException(string message) : Exception(message);
