using Akka.Hosting;

namespace Godo.Messages.Wire;

public static class GodoWireSerializerExtensions
{
    /// <summary>Binds <see cref="IGodoWireMessage"/> (and so every wire message) to <see cref="GodoWireSerializer"/>.</summary>
    public static AkkaConfigurationBuilder AddGodoWireSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(GodoWireSerializer.ConfigName, [typeof(IGodoWireMessage)], system => new GodoWireSerializer(system));
}
