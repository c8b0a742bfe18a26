using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Godo.Messages.Security;

namespace Godo.Cli.Commands;

/// <summary>`godo certs init|issue`: the fleet CA and the certificates of agents and aggregators, as PEM files.</summary>
public static class CertsCommand
{
    public static Command Create()
    {
        var cmd = new Command("certs", "Make the fleet's TLS certificates: a CA (init), then one certificate per agent and aggregator (issue).");
        cmd.Subcommands.Add(Init());
        cmd.Subcommands.Add(Issue());
        return cmd;
    }

    private static Command Init()
    {
        var dir = new Argument<string>("DIR") { Description = "directory for ca.crt and ca.key (created if missing)" };
        var force = new Option<bool>("--force") { Description = "overwrite an existing CA (every certificate it issued stops being trusted)" };
        var cmd = new Command("init", "Create the fleet CA: DIR/ca.crt (give it to every node as --tls-ca) and DIR/ca.key (keep it offline, mode 0600).") { dir, force };
        cmd.SetAction(parse =>
        {
            var d = parse.GetValue(dir)!;
            Directory.CreateDirectory(d);
            var (crt, key) = (FleetCertificates.CaCertPath(d), FleetCertificates.CaKeyPath(d));
            Refuse(parse.GetValue(force), crt, key);
            using var ca = FleetCertificates.CreateCa();
            FleetCertificates.Write(ca, crt, key);
            Console.Out.WriteLine($"{crt}\n{key}");
            return CommandLine.Ok;
        });
        return cmd;
    }

    private static Command Issue()
    {
        var dir = new Argument<string>("DIR") { Description = "the CA's directory (from `godo certs init`); NAME.crt and NAME.key go there" };
        var name = new Argument<string>("NAME") { Description = "the node's name: an agent's host name (as --host-name), an aggregator's name" };
        var role = new Option<string>("--role") { Description = "agent or aggregator", Required = true };
        var force = new Option<bool>("--force") { Description = "overwrite an existing NAME.crt/NAME.key" };
        var cmd = new Command("issue", "Issue DIR/NAME.crt and DIR/NAME.key, signed by the fleet CA in DIR, for an agent (NAME = its host name) or an aggregator.")
        {
            dir, name, role, force,
        };
        cmd.SetAction(parse =>
        {
            var d = parse.GetValue(dir)!;
            var n = parse.GetValue(name)!;
            var r = FleetRoles.Parse(parse.GetValue(role)) ?? throw new UsageException($"bad --role '{parse.GetValue(role)}': use agent or aggregator");
            if (HostNames.Problem(n) is { } problem) throw new UsageException(problem.Replace("host name", "NAME") + " (it goes into the certificate as a DNS name)");
            var (caCrt, caKey) = (FleetCertificates.CaCertPath(d), FleetCertificates.CaKeyPath(d));
            if (!File.Exists(caCrt) || !File.Exists(caKey)) throw new UsageException($"{d}: no ca.crt and ca.key there; run `godo certs init {d}` first");
            var (crt, key) = (FleetCertificates.CertPath(d, n), FleetCertificates.KeyPath(d, n));
            Refuse(parse.GetValue(force), crt, key);
            X509Certificate2 ca;
            try { ca = X509Certificate2.CreateFromPemFile(caCrt, caKey); }
            catch (Exception e) when (e is CryptographicException or ArgumentException) { throw new UsageException($"{caCrt} with {caKey}: not a PEM certificate and its key ({e.Message})"); }
            using (ca)
            using (var cert = FleetCertificates.Issue(ca, n, r))
                FleetCertificates.Write(cert, crt, key);
            Console.Out.WriteLine($"{crt}\n{key}");
            return CommandLine.Ok;
        });
        return cmd;
    }

    private static void Refuse(bool force, params string[] paths)
    {
        if (force) return;
        foreach (var p in paths)
            if (File.Exists(p)) throw new UsageException($"{p} exists; give --force to replace it");
    }
}
