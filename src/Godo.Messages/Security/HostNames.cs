namespace Godo.Messages.Security;

/// <summary>
/// A host's name as agents report it and aggregators key the fleet by: DNS-like, so it is also what a certificate can
/// name (CN and DNS SAN) and what the API, the CLI and the dashboard can show and put in a URL without surprises.
/// </summary>
public static class HostNames
{
    public const int MaxLength = 253;

    /// <summary>Why <paramref name="name"/> is not a valid host name, in one line; null when it is one.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "the host name is empty";
        var shown = name.Length > 80 ? name[..80] + "…" : name;
        if (name.Length > MaxLength) return $"host name '{shown}' is longer than {MaxLength} characters";
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63) return $"host name '{shown}': every dot-separated label must be 1-63 characters";
            foreach (var c in label)
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                    return $"host name '{shown}': only letters, digits, '-' and '.' are allowed";
        }
        return null;
    }
}
