using System.Net;

namespace Godo.Agent.Docker;

/// <summary>Docker could not be reached (<see cref="StatusCode"/> null) or answered with an error.</summary>
public sealed class DockerApiException(string message, HttpStatusCode? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;
}
