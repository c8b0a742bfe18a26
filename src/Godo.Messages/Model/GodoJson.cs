using System.Text.Json;
using System.Text.Json.Serialization;

namespace Godo.Messages.Model;

/// <summary>Source-generated JSON for the public schema: camelCase, nulls written (a null container means "host").</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = false)]
[JsonSerializable(typeof(HostTree))]
[JsonSerializable(typeof(ProcessInfo))]
[JsonSerializable(typeof(ContainerInfo))]
public sealed partial class GodoJsonContext : JsonSerializerContext
{
    private static GodoJsonContext? _indented;

    /// <summary>The same contract, indented for people reading it.</summary>
    public static GodoJsonContext Indented => _indented ??= new GodoJsonContext(new JsonSerializerOptions(Default.Options) { WriteIndented = true });
}
