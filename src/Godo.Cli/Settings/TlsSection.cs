using Godo.Messages.Security;
using System.CommandLine;
using Microsoft.Extensions.Configuration;

namespace Godo.Cli.Settings;

/// <summary>
/// The "Tls" section (flags --tls-cert, --tls-key, --tls-ca; GODO_TLS_CERT, GODO_TLS_KEY, GODO_TLS_CA), shared by
/// agent, aggregator and standalone: the three PEM files together turn on mutual TLS for all remoting.
/// </summary>
public sealed class TlsSection
{
    public string? Cert { get; init; }
    public string? Key { get; init; }
    public string? Ca { get; init; }

    /// <summary>The loaded and checked certificates for a node of <paramref name="role"/>; null when none is configured.</summary>
    public static FleetTrust? Bind(IConfiguration configuration, FleetRole role) => GodoConfiguration.Bind<TlsSection>(configuration, "Tls").Load(role);

    public FleetTrust? Load(FleetRole role)
    {
        if (Cert is null && Key is null && Ca is null) return null;
        if (Cert is null || Key is null || Ca is null)
            throw new UsageException("TLS needs all three of --tls-cert, --tls-key and --tls-ca");
        try { return FleetTrust.Load(new TlsFiles(Cert, Key, Ca), role); }
        catch (FleetTrustException e) { throw new UsageException(e.Message); }
    }

    /// <summary>The three flags, for every command that runs remoting.</summary>
    public sealed record Options(Option<string?> Cert, Option<string?> Key, Option<string?> Ca)
    {
        public static Options Create(string role) => new(
            new Option<string?>("--tls-cert") { Description = $"this node's certificate (PEM, role {role}, from `godo certs issue`): with --tls-key and --tls-ca, mutual TLS on all remoting (GODO_TLS_CERT)" },
            new Option<string?>("--tls-key") { Description = "its private key (PEM) (GODO_TLS_KEY)" },
            new Option<string?>("--tls-ca") { Description = "the fleet CA's certificate (PEM): the only root peers are checked against (GODO_TLS_CA)" });

        public IEnumerable<Option> All => [Cert, Key, Ca];

        public SettingsLayer Flags(SettingsLayer layer, System.CommandLine.ParseResult parse) => layer
            .Set("Tls:Cert", parse.GetValue(Cert)).Set("Tls:Key", parse.GetValue(Key)).Set("Tls:Ca", parse.GetValue(Ca));
    }
}
