using System.Collections;
using Godo.Messages;
using Microsoft.Extensions.Configuration;

namespace Godo.Cli.Settings;

/// <summary>
/// The one configuration every command binds its settings from, in layers where each later one wins:
/// appsettings.json (GODO_CONFIG, or beside the binary), then the environment, then the command's flags.
/// Every layer writes the same keys ("Agent:HostName", "Aggregator:RemotePort", ...), so a setting means the same
/// wherever it comes from; the sections are bound by <see cref="AgentSection"/> and <see cref="AggregatorSection"/>.
/// </summary>
public static class GodoConfiguration
{
    /// <summary>The documented GODO_* variables and the keys they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>
    {
        ["GODO_HOST_NAME"] = "Agent:HostName",
        ["GODO_SOURCE"] = "Agent:Source",
        ["GODO_AUDIT_MODE"] = "Agent:AuditMode",
        ["GODO_AGGREGATORS"] = "Agent:Aggregators",
        ["GODO_RECONCILE_EVERY"] = "Agent:ReconcileEvery",
        ["GODO_EXIT_SOURCE"] = "Agent:ExitSource",
        ["GODO_ARGV_CAP"] = "Agent:ArgvCap",
        ["GODO_PUBLISH_BUFFER"] = "Agent:PublishBuffer",
        ["GODO_REMOTE_HOST"] = "Aggregator:RemoteHost",
        ["GODO_REMOTE_PORT"] = "Aggregator:RemotePort",
        ["GODO_PUBLIC_HOST"] = "Aggregator:PublicHost",
        ["GODO_SEEDS"] = "Aggregator:Seeds",
        ["GODO_HTTP"] = "Aggregator:Http",
        [GodoConstants.ApiTokenVariable] = "Aggregator:ApiToken",
        ["GODO_HTTP_HOSTS"] = "Aggregator:HttpHosts",
        ["GODO_HTTP_CERT"] = "Aggregator:HttpCert",
        ["GODO_HTTP_KEY"] = "Aggregator:HttpKey",
        ["GODO_WEBROOT"] = "Aggregator:WebRoot",
        ["GODO_STALE_AFTER"] = "Aggregator:StaleAfter",
        ["GODO_DOWN_AFTER"] = "Aggregator:DownAfter",
        ["GODO_RETENTION"] = "Aggregator:Retention",
        ["GODO_TREE_RETENTION"] = "Aggregator:TreeRetention",
        ["GODO_INSECURE_REMOTING"] = "Aggregator:InsecureRemoting",
        ["GODO_DATA"] = "Aggregator:Data",
        ["GODO_JOURNAL"] = "Aggregator:Journal",
        ["GODO_HISTORY_RETENTION"] = "Aggregator:HistoryRetention",
        ["GODO_HISTORY_BYTES"] = "Aggregator:HistoryBytes",
        ["GODO_TLS_CERT"] = "Tls:Cert",
        ["GODO_TLS_KEY"] = "Tls:Key",
        ["GODO_TLS_CA"] = "Tls:Ca",
    };

    /// <summary>Settings that are lists: comma-separated in a variable, repeated as a flag, an array in appsettings.json.</summary>
    public static readonly IReadOnlySet<string> Lists = new HashSet<string>(["Agent:Aggregators", "Aggregator:Seeds", "Aggregator:HttpHosts"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The layered configuration of this process: its environment and the given <paramref name="flags"/>.</summary>
    public static IConfiguration Build(SettingsLayer flags) => Build(flags, Environment.GetEnvironmentVariables());

    /// <summary>The layered configuration for an explicit <paramref name="environment"/> (tests give their own).</summary>
    public static IConfiguration Build(SettingsLayer flags, IDictionary environment)
    {
        var file = environment["GODO_CONFIG"] as string is { Length: > 0 } f ? f : Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var builder = new ConfigurationBuilder().AddJsonFile(file, optional: true);
        builder.AddInMemoryCollection(FromEnvironment(environment).Over(builder.Build()));
        builder.AddInMemoryCollection(flags.Over(builder.Build()));
        return builder.Build();
    }

    /// <summary>
    /// The environment as a layer: section-style names first (GODO_AGGREGATOR__REMOTEPORT), then the documented short
    /// names, which win. Empty variables count as unset.
    /// </summary>
    private static SettingsLayer FromEnvironment(IDictionary environment)
    {
        var layer = new SettingsLayer();
        foreach (DictionaryEntry e in environment)
            if (e.Key is string name && name.StartsWith("GODO_", StringComparison.Ordinal) && name.Contains("__"))
                layer.Set(name[5..].Replace("__", ":"), e.Value as string);
        foreach (var (name, key) in Variables)
        {
            if (environment[name] is not string { Length: > 0 } value) continue;
            if (Lists.Contains(key)) layer.SetList(key, value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            else layer.Set(key, value);
        }
        return layer;
    }

    /// <summary>
    /// One section bound to its class as written; a value the binder cannot convert is a one-line usage error.
    /// The section classes hold text, so that happens only for a malformed list.
    /// </summary>
    public static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
