using Microsoft.AspNetCore.Http;

namespace Godo.Aggregator.Api;

/// <summary>Every 4xx of the API: {"error": "...", "status": 404} (and, for an ambiguous container, the candidates).</summary>
public sealed record ApiError(string Error, int Status,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] object? Candidates = null)
{
    public static IResult NotFound(string message) => Results.Json(new ApiError(message, 404), statusCode: 404);
    public static IResult BadRequest(string message) => Results.Json(new ApiError(message, 400), statusCode: 400);
    public static IResult Conflict(string message, object candidates) => Results.Json(new ApiError(message, 409, candidates), statusCode: 409);
    public static IResult Unavailable(string message) => Results.Json(new ApiError(message, 503), statusCode: 503);
}
