using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Godo.Agent.Docker;

/// <summary>Reads the few parts of Docker's JSON godo needs, tolerant of missing or null fields and of API versions.</summary>
internal static class DockerJson
{
    /// <summary>One element of <c>GET /containers/json</c>.</summary>
    public static DockerContainer? ParseListItem(JsonElement e)
    {
        var id = Str(e, "Id");
        if (id is null) return null;
        string? name = null;
        if (e.TryGetProperty("Names", out var names) && names.ValueKind == JsonValueKind.Array)
        {
            foreach (var n in names.EnumerateArray())
            {
                var s = n.GetString();
                if (s is null) continue;
                var trimmed = s.TrimStart('/');
                // Legacy links add names like "/other/alias": prefer the container's own.
                if (!trimmed.Contains('/')) { name = trimmed; break; }
                name ??= trimmed;
            }
        }
        DateTimeOffset? created = e.TryGetProperty("Created", out var c) && c.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeSeconds(c.GetInt64()) : null;
        return new DockerContainer
        {
            Id = id,
            Name = name,
            Image = Str(e, "Image"),
            ImageId = Str(e, "ImageID"),
            State = Str(e, "State"),
            CreatedAt = created,
            Labels = Labels(e, "Labels"),
        };
    }

    /// <summary><c>GET /containers/{id}/json</c>.</summary>
    public static DockerContainer? ParseInspect(JsonElement e)
    {
        var id = Str(e, "Id");
        if (id is null) return null;
        e.TryGetProperty("State", out var state);
        e.TryGetProperty("Config", out var config);
        int? pid = state.ValueKind == JsonValueKind.Object && state.TryGetProperty("Pid", out var p) && p.TryGetInt32(out var pv) && pv > 0 ? pv : null;
        int? exit = state.ValueKind == JsonValueKind.Object && state.TryGetProperty("ExitCode", out var x) && x.TryGetInt32(out var xv) ? xv : null;
        return new DockerContainer
        {
            Id = id,
            Name = Str(e, "Name")?.TrimStart('/'),
            Image = config.ValueKind == JsonValueKind.Object ? Str(config, "Image") : null,
            ImageId = Str(e, "Image"),
            State = state.ValueKind == JsonValueKind.Object ? Str(state, "Status") : null,
            CreatedAt = Time(Str(e, "Created")),
            StartedAt = state.ValueKind == JsonValueKind.Object ? Time(Str(state, "StartedAt")) : null,
            FinishedAt = state.ValueKind == JsonValueKind.Object ? Time(Str(state, "FinishedAt")) : null,
            Pid = pid,
            ExitCode = exit,
            Labels = config.ValueKind == JsonValueKind.Object ? Labels(config, "Labels") : ImmutableDictionary<string, string>.Empty,
        };
    }

    /// <summary>One line of <c>GET /events</c>; null for anything that is not a followed container action.</summary>
    public static DockerContainerEvent? ParseEvent(JsonElement e)
    {
        if (Str(e, "Type") is not "container") return null;
        var actionText = Str(e, "Action") ?? Str(e, "status");
        if (actionText is null || !TryParseAction(actionText, out var action)) return null;
        e.TryGetProperty("Actor", out var actor);
        var id = (actor.ValueKind == JsonValueKind.Object ? Str(actor, "ID") : null) ?? Str(e, "id");
        if (id is null) return null;
        var attributes = actor.ValueKind == JsonValueKind.Object ? Labels(actor, "Attributes") : ImmutableDictionary<string, string>.Empty;
        DateTimeOffset time;
        if (e.TryGetProperty("timeNano", out var tn) && tn.TryGetInt64(out var nanos) && nanos > 0)
            time = DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
        else if (e.TryGetProperty("time", out var t) && t.TryGetInt64(out var secs))
            time = DateTimeOffset.FromUnixTimeSeconds(secs);
        else
            time = DateTimeOffset.UtcNow;
        return new DockerContainerEvent(action, id,
            attributes.TryGetValue("name", out var n) ? n.TrimStart('/') : null,
            attributes.TryGetValue("image", out var img) ? img : Str(e, "from"),
            time, attributes, Container: null);
    }

    public static bool TryParseAction(string text, out DockerContainerAction action)
    {
        switch (text)
        {
            case "create": action = DockerContainerAction.Create; return true;
            case "start": action = DockerContainerAction.Start; return true;
            case "restart": action = DockerContainerAction.Restart; return true;
            case "stop": action = DockerContainerAction.Stop; return true;
            case "kill": action = DockerContainerAction.Kill; return true;
            case "die": action = DockerContainerAction.Die; return true;
            case "oom": action = DockerContainerAction.Oom; return true;
            case "pause": action = DockerContainerAction.Pause; return true;
            case "unpause": action = DockerContainerAction.Unpause; return true;
            case "rename": action = DockerContainerAction.Rename; return true;
            case "destroy": action = DockerContainerAction.Destroy; return true;
            default: action = default; return false;
        }
    }

    /// <summary>The Docker names of the followed actions, for the <c>event</c> filter.</summary>
    public static readonly string[] ActionNames =
        ["create", "start", "restart", "stop", "kill", "die", "oom", "pause", "unpause", "rename", "destroy"];

    /// <summary>RFC 3339 with up to 9 fractional digits; Go's zero time means "never".</summary>
    public static DateTimeOffset? Time(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.StartsWith("0001-01-01", StringComparison.Ordinal)) return null;
        // .NET parses at most 7 fractional digits: cut the nanoseconds.
        int dot = text.IndexOf('.');
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            if (end - dot - 1 > 7) text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v)
            ? v.ToUniversalTime() : null;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ImmutableDictionary<string, string> Labels(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var l) || l.ValueKind != JsonValueKind.Object) return ImmutableDictionary<string, string>.Empty;
        var b = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var p in l.EnumerateObject())
            b[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return b.ToImmutable();
    }
}
