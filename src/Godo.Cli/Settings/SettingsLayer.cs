using Microsoft.Extensions.Configuration;

namespace Godo.Cli.Settings;

/// <summary>
/// One layer of settings as written ("Agent:HostName" = "web-01"): the environment's, or a command's flags.
/// Unset values (null, empty) leave the layers below alone.
/// </summary>
public sealed class SettingsLayer
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IReadOnlyList<string>> _lists = new(StringComparer.OrdinalIgnoreCase);

    public SettingsLayer Set(string key, string? value)
    {
        if (!string.IsNullOrEmpty(value)) _values[key] = value;
        return this;
    }

    public SettingsLayer Set(string key, bool given, string value) => given ? Set(key, value) : this;

    public SettingsLayer SetList(string key, IReadOnlyList<string>? items)
    {
        if (items is { Count: > 0 }) _lists[key] = items;
        return this;
    }

    /// <summary>
    /// The keys this layer sets over <paramref name="below"/>. Configuration merges arrays item by item, so a list
    /// also blanks the items beyond its own end: two seeds given as a flag replace the three of appsettings.json.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> Over(IConfiguration below)
    {
        foreach (var (key, value) in _values) yield return new(key, value);
        foreach (var (key, items) in _lists)
        {
            for (var i = 0; i < items.Count; i++) yield return new($"{key}:{i}", items[i]);
            var lower = below.GetSection(key).GetChildren().Count();
            for (var i = items.Count; i < lower; i++) yield return new($"{key}:{i}", "");
        }
    }
}
