using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Godo.Aggregator.Tests.Infrastructure;

/// <summary>A private CA and a server certificate for 127.0.0.1/localhost it signed, as PEM files in a temporary folder.</summary>
public sealed class TestPki : IDisposable
{
    public TestPki()
    {
        Directory.CreateDirectory(Dir);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=godo test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        Ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(CaCert, Ca.ExportCertificatePem());

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var cert = request.Create(Ca, now.AddMinutes(-5), now.AddHours(12), [1, 2, 3, 4, 5, 6, 7, 8]);
        File.WriteAllText(ServerCert, cert.ExportCertificatePem());
        File.WriteAllText(ServerKey, key.ExportPkcs8PrivateKeyPem());
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "godo-pki-" + Guid.NewGuid().ToString("N")[..8]);
    public X509Certificate2 Ca { get; }
    public string CaCert => Path.Combine(Dir, "ca.crt");
    public string ServerCert => Path.Combine(Dir, "server.crt");
    public string ServerKey => Path.Combine(Dir, "server.key");

    public void Dispose()
    {
        Ca.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
