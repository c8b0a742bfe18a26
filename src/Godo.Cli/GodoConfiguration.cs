using Microsoft.Extensions.Configuration;

namespace Godo.Cli;

/// <summary>
/// Settings in order of precedence: flags, then GODO_* environment variables (GODO_HOST_NAME, GODO_SOURCE, ...),
/// then appsettings.json next to the binary (or GODO_CONFIG), then defaults.
/// </summary>
public sealed class GodoConfiguration
{
    private readonly IConfiguration _config;

    public GodoConfiguration()
    {
        var file = Environment.GetEnvironmentVariable("GODO_CONFIG") ?? Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        _config = new ConfigurationBuilder().AddJsonFile(file, optional: true).Build();
    }

    /// <summary>A setting: GODO_{ENV} if set, else the appsettings key (e.g. "Agent:HostName"), else null.</summary>
    public string? Get(string key, string env) =>
        Environment.GetEnvironmentVariable("GODO_" + env) is { Length: > 0 } v ? v : _config[key];

    public string[] GetList(string key, string env)
    {
        if (Environment.GetEnvironmentVariable("GODO_" + env) is { Length: > 0 } v)
            return v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return _config.GetSection(key).GetChildren().Select(c => c.Value).OfType<string>().ToArray() is { Length: > 0 } list
            ? list
            : _config[key]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
    }
}
