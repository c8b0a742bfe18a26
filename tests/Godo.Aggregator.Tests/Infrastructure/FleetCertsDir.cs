using Godo.Messages.Security;

namespace Godo.Aggregator.Tests.Infrastructure;

/// <summary>A fleet CA in a temporary directory, issuing certificates on demand, as `godo certs` would.</summary>
public sealed class FleetCertsDir : IDisposable
{
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _ca = FleetCertificates.CreateCa();

    public FleetCertsDir()
    {
        FleetCertificates.Write(_ca, FleetCertificates.CaCertPath(Dir), FleetCertificates.CaKeyPath(Dir));
    }

    public string Dir { get; } = Directory.CreateTempSubdirectory("godo-fleet-").FullName;

    /// <summary>The files of NAME's certificate (issued the first time it is asked for).</summary>
    public TlsFiles Files(string name, string role)
    {
        var (crt, key) = (FleetCertificates.CertPath(Dir, name), FleetCertificates.KeyPath(Dir, name));
        if (!File.Exists(crt))
            using (var cert = FleetCertificates.Issue(_ca, name, FleetRoles.Parse(role)!.Value))
                FleetCertificates.Write(cert, crt, key);
        return new TlsFiles(crt, key, FleetCertificates.CaCertPath(Dir));
    }

    public string[] Flags(string name, string role)
    {
        var f = Files(name, role);
        return ["--tls-cert", f.Cert, "--tls-key", f.Key, "--tls-ca", f.Ca];
    }

    public FleetTrust Trust(string name, string role) => FleetTrust.Load(Files(name, role), FleetRoles.Parse(role)!.Value);

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(Dir, true);
    }
}
