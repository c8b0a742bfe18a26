using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Godo.Messages.Security;

/// <summary>
/// The fleet's certificates as PEM files: a CA (`godo certs init`) and the certificates it issues to agents and
/// aggregators (`godo certs issue`). ECDSA P-256 throughout: small, fast handshakes, and supported by SslStream on Linux.
/// </summary>
public static class FleetCertificates
{
    private const string OuOid = "2.5.4.11";

    public static string CaCertPath(string dir) => Path.Combine(dir, "ca.crt");
    public static string CaKeyPath(string dir) => Path.Combine(dir, "ca.key");
    public static string CertPath(string dir, string name) => Path.Combine(dir, name + ".crt");
    public static string KeyPath(string dir, string name) => Path.Combine(dir, name + ".key");

    /// <summary>A self-signed CA, valid <paramref name="years"/> years.</summary>
    public static X509Certificate2 CreateCa(string name = "godo fleet CA", int years = 10)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(years));
    }

    /// <summary>
    /// A certificate for <paramref name="name"/> (CN and DNS SAN: an agent's is its host name) with its
    /// <paramref name="role"/> as the OU, for both ends of TLS (server and client auth), signed by <paramref name="ca"/>.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string name, FleetRole role, int years = 2)
    {
        if (HostNames.Problem(name) is { } problem) throw new ArgumentException(problem.Replace("host name", "name"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName($"CN={name}, OU={FleetRoles.Name(role)}");
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddYears(years) < ca.NotAfter ? now.AddYears(years) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial
        using var signed = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate (.crt) and its private key (.key, mode 0600, PKCS#8) as PEM.</summary>
    public static void Write(X509Certificate2 cert, string certPath, string keyPath)
    {
        using var key = cert.GetECDsaPrivateKey() ?? throw new ArgumentException("the certificate has no ECDSA private key");
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(certPath, cert.ExportCertificatePem() + "\n");
    }

    /// <summary>A certificate with its private key from PEM files, in a form SslStream can use as a server on Linux.</summary>
    public static X509Certificate2 LoadWithKey(string certPath, string keyPath)
    {
        using var ephemeral = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        // A key imported from PEM is ephemeral; SslStream (as a server, on Linux) wants one it can hand to OpenSSL as a
        // PKCS#12 store would: a round trip through PKCS#12 gives it that.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>The first certificate of a PEM file (the CA).</summary>
    public static X509Certificate2 LoadCertificate(string certPath) => X509Certificate2.CreateFromPem(File.ReadAllText(certPath));

    /// <summary>The role named by the certificate's OU; null for none or an unknown one.</summary>
    public static FleetRole? RoleOf(X509Certificate2 cert)
    {
        foreach (var rdn in cert.SubjectName.EnumerateRelativeDistinguishedNames())
            if (rdn.GetSingleElementType().Value == OuOid && FleetRoles.Parse(rdn.GetSingleElementValue()) is { } role)
                return role;
        return null;
    }

    /// <summary>The name the certificate was issued to: its CN (issued with the same DNS SAN).</summary>
    public static string NameOf(X509Certificate2 cert) => cert.GetNameInfo(X509NameType.SimpleName, false);

    /// <summary>True when <paramref name="name"/> is the certificate's CN or one of its DNS SANs (case-insensitive, as DNS).</summary>
    public static bool Names(X509Certificate2 cert, string name)
    {
        if (string.Equals(NameOf(cert), name, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var ext in cert.Extensions)
            if (ext is X509SubjectAlternativeNameExtension san)
                foreach (var dns in san.EnumerateDnsNames())
                    if (string.Equals(dns, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static void WritePrivate(string path, string text)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("godo writes keys with Unix file modes");
        // Created 0600 from the start: the key is never readable by others, not even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(path, options)) stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static string Escape(string name) => name.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=");
}
