using Akka.Configuration;
using Akka.Hosting;

namespace Godo.Agent;

public static class AgentHocon
{
    /// <summary>hocon/agent.conf, embedded in the assembly.</summary>
    public static Config Config => ConfigurationFactory.FromResource<AssemblyMarker>("Godo.Agent.agent.conf");

    public static AkkaConfigurationBuilder AddAgentHocon(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(Config, HoconAddMode.Prepend);

    public sealed class AssemblyMarker;
}
