using System.Text.Json.Serialization;

namespace Godo.Messages.Api;

/// <summary>Every 4xx of the API: {"error": "...", "status": 404} (and, for an ambiguous container, the candidates).</summary>
public sealed record ApiError(string Error, int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Candidates = null);
