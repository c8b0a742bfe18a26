using Godo.Messages.Api;
using Microsoft.AspNetCore.Http;

namespace Godo.Aggregator.Api;

/// <summary>The API's 4xx (and 503) answers, as <see cref="ApiError"/> rows (the record is shared with the CLI, the results are ASP.NET's).</summary>
internal static class ApiErrorResults
{
    extension(ApiError)
    {
        public static IResult NotFound(string message) => Results.Json(new ApiError(message, 404), statusCode: 404);
        public static IResult BadRequest(string message) => Results.Json(new ApiError(message, 400), statusCode: 400);
        public static IResult Gone(string message) => Results.Json(new ApiError(message, 410), statusCode: 410);
        public static IResult Conflict(string message, object candidates) => Results.Json(new ApiError(message, 409, candidates), statusCode: 409);
        public static IResult Status(int status, string message) => Results.Json(new ApiError(message, status), statusCode: status);
    }
}
