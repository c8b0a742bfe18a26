namespace Godo.Messages.Security;

/// <summary>
/// What a fleet certificate allows its holder to be: written as the subject's OU by `godo certs issue`, read back by
/// every peer's TLS check (<see cref="FleetTrust"/>).
/// </summary>
public enum FleetRole { Agent, Aggregator }

public static class FleetRoles
{
    public static string Name(FleetRole role) => role == FleetRole.Agent ? "agent" : "aggregator";

    public static FleetRole? Parse(string? text) => text switch
    {
        "agent" => FleetRole.Agent,
        "aggregator" => FleetRole.Aggregator,
        _ => null,
    };
}
