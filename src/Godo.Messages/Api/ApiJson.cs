using System.Text.Json;
using System.Text.Json.Serialization;

namespace Godo.Messages.Api;

/// <summary>
/// The JSON of the HTTP API's rows (everything under /api and /ops but the tree document, which has its own
/// <see cref="Model.GodoJsonContext"/>): camelCase names and enums. The aggregator writes with it, the CLI reads with it.
/// </summary>
public static class ApiJson
{
    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return o;
    }
}
