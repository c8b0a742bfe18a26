using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Godo.Messages.Security;

namespace Godo.Messages.Tests.Security;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FleetCertificatesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godo-certs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private (X509Certificate2 Ca, TlsFiles Files) Fleet(string name, FleetRole role)
    {
        using var ca = FleetCertificates.CreateCa();
        FleetCertificates.Write(ca, FleetCertificates.CaCertPath(_dir), FleetCertificates.CaKeyPath(_dir));
        using var cert = FleetCertificates.Issue(ca, name, role);
        FleetCertificates.Write(cert, FleetCertificates.CertPath(_dir, name), FleetCertificates.KeyPath(_dir, name));
        return (X509CertificateLoader.LoadCertificate(ca.RawData),
            new TlsFiles(FleetCertificates.CertPath(_dir, name), FleetCertificates.KeyPath(_dir, name), FleetCertificates.CaCertPath(_dir)));
    }

    [Fact]
    public void Issued_certificates_name_their_holder_and_role_and_keys_are_private()
    {
        var (_, files) = Fleet("web-01", FleetRole.Agent);
        var trust = FleetTrust.Load(files, FleetRole.Agent);
        Assert.Equal(("web-01", FleetRole.Agent), (trust.Name, trust.Role));
        Assert.True(FleetCertificates.Names(trust.Certificate, "WEB-01"));
        Assert.False(FleetCertificates.Names(trust.Certificate, "web-02"));
        Assert.True(trust.Certificate.HasPrivateKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.Key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FleetCertificates.CaKeyPath(_dir)));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(files.Cert));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(files.Key));
    }

    [Fact]
    public void Trust_refuses_another_CA_the_wrong_role_and_no_certificate()
    {
        var (_, files) = Fleet("agg-1", FleetRole.Aggregator);
        var trust = FleetTrust.Load(files, FleetRole.Aggregator);
        using var otherCa = FleetCertificates.CreateCa("godo fleet CA"); // same name, other key
        using var stranger = FleetCertificates.Issue(otherCa, "agg-2", FleetRole.Aggregator);
        using var ca = X509Certificate2.CreateFromPemFile(files.Ca, FleetCertificates.CaKeyPath(_dir));
        using var agent = FleetCertificates.Issue(ca, "web-01", FleetRole.Agent);

        Assert.Null(trust.Problem(trust.Certificate, [FleetRole.Aggregator]));
        Assert.Contains("not from the fleet CA", trust.Problem(stranger, [FleetRole.Aggregator, FleetRole.Agent]));
        Assert.Null(trust.Problem(agent, [FleetRole.Agent]));
        Assert.Contains("expected aggregator", trust.Problem(agent, [FleetRole.Aggregator]));
        Assert.Contains("expected agent", trust.Problem(trust.Certificate, [FleetRole.Agent]));
        Assert.Equal("no certificate", trust.Problem(null, [FleetRole.Agent]));
        Assert.Throws<FleetTrustException>(() => FleetTrust.Load(files, FleetRole.Agent));
        Assert.Throws<FleetTrustException>(() => FleetTrust.Load(files with { Ca = Path.Combine(_dir, "nope.crt") }, FleetRole.Aggregator));
    }

    [Fact]
    public async Task A_loaded_certificate_serves_mutual_TLS_through_SslStream_on_Linux()
    {
        var (_, server) = Fleet("agg-1", FleetRole.Aggregator);
        using var ca = FleetCertificates.LoadCertificate(server.Ca);
        using var caWithKey = X509Certificate2.CreateFromPemFile(server.Ca, FleetCertificates.CaKeyPath(_dir));
        using var clientCert = FleetCertificates.Issue(caWithKey, "web-01", FleetRole.Agent);
        FleetCertificates.Write(clientCert, Path.Combine(_dir, "c.crt"), Path.Combine(_dir, "c.key"));
        var trust = FleetTrust.Load(server, FleetRole.Aggregator);
        var client = FleetTrust.Load(new TlsFiles(Path.Combine(_dir, "c.crt"), Path.Combine(_dir, "c.key"), server.Ca), FleetRole.Agent);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string? seenByServer = null;
        var serverSide = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(socket.GetStream(), false, (_, c, _, _) =>
            {
                seenByServer = c is X509Certificate2 x ? trust.Problem(x, [FleetRole.Agent]) ?? "ok" : "none";
                return seenByServer == "ok";
            });
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = trust.Certificate, ClientCertificateRequired = true });
            ssl.WriteByte(42);
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var clientSsl = new SslStream(tcp.GetStream(), false, (_, c, _, _) => client.Problem(c as X509Certificate2, [FleetRole.Aggregator]) is null);
        await clientSsl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "agg-1", ClientCertificates = [client.Certificate], EnabledSslProtocols = SslProtocols.None,
        });
        Assert.Equal(42, clientSsl.ReadByte());
        await serverSide;
        Assert.Equal("ok", seenByServer);
    }

    [Fact]
    public void A_proof_binds_host_and_incarnation_to_the_agent_certificate()
    {
        var (_, files) = Fleet("web-01", FleetRole.Agent);
        var trust = FleetTrust.Load(files, FleetRole.Agent);
        var now = DateTimeOffset.UtcNow;
        var proof = AgentProof.Sign(trust.Certificate, "web-01", "inc-1", now);

        Assert.Null(AgentProof.Problem(proof, "web-01", "inc-1", trust, now));
        Assert.Contains("not 'web-02'", AgentProof.Problem(AgentProof.Sign(trust.Certificate, "web-02", "inc-1", now), "web-02", "inc-1", trust, now));
        Assert.Contains("signature", AgentProof.Problem(proof, "web-01", "inc-2", trust, now));
        Assert.Contains("too far", AgentProof.Problem(proof, "web-01", "inc-1", trust, now.AddHours(1)));
        Assert.Contains("no certificate proof", AgentProof.Problem(null, "web-01", "inc-1", trust, now));
    }

    [Theory]
    [InlineData("web-01", true)]
    [InlineData("web-01.prod.example.com", true)]
    [InlineData("", false)]
    [InlineData("web 01", false)]
    [InlineData("web_01", false)]
    [InlineData("a..b", false)]
    [InlineData("<script>", false)]
    public void Host_names_are_DNS_like(string name, bool ok)
    {
        Assert.Equal(ok, HostNames.Problem(name) is null);
    }

    [Fact]
    public void Host_names_have_DNS_lengths()
    {
        Assert.Null(HostNames.Problem(string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61)));
        Assert.NotNull(HostNames.Problem(string.Join('.', Enumerable.Repeat(new string('a', 63), 4))));
        Assert.NotNull(HostNames.Problem(new string('a', 64)));
    }
}
