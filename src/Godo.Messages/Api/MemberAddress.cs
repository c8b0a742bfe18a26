using System.Diagnostics.CodeAnalysis;
using Akka.Actor;

namespace Godo.Messages.Api;

/// <summary>A cluster member's address as users type it (seeds, `godo cluster leave|down`): akka.tcp://godo@HOST:PORT.</summary>
public static class MemberAddress
{
    /// <summary>Any system's address with a host and a port; a trailing slash is fine.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Address? address)
    {
        address = Address.TryParse(text.Trim().TrimEnd('/'), out var parsed) && parsed.Host is not null && parsed.Port is not null ? parsed : null;
        return address is not null;
    }

    /// <summary>Why <paramref name="text"/> is not an aggregator's address, in one line calling it <paramref name="what"/>; null when it is one.</summary>
    public static string? Problem(string text, string what, out Address? address)
    {
        if (!TryParse(text, out address)) return $"bad {what} '{text}': give akka.tcp://{GodoConstants.ActorSystemName}@HOST:PORT";
        if (address.System != GodoConstants.ActorSystemName)
            return $"bad {what} '{text}': the aggregators' system is '{GodoConstants.ActorSystemName}', not '{address.System}'";
        return null;
    }
}
