using System.Collections.Immutable;
using Godo.Messages.Model;

namespace Godo.Messages.Api;

/// <summary>One row of `GET /api/containers`.</summary>
public sealed record ContainerView
{
    public required string Host { get; init; }
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Image { get; init; }
    public string? State { get; init; }
    public int ProcessCount { get; init; }
    public int? InitPid { get; init; }
    public DateTimeOffset? StartedAt { get; init; }

    public static ContainerView From(string host, ContainerInfo c) => new()
    {
        Host = host, Id = c.Id, Name = c.Name, Image = c.Image, State = c.State, ProcessCount = c.ProcessCount, InitPid = c.InitPid, StartedAt = c.StartedAt,
    };
}

/// <summary>`GET /api/containers/{key}`: the container with its live processes.</summary>
public sealed record ContainerDetail
{
    public required string Host { get; init; }
    public required ContainerInfo Container { get; init; }
    public ImmutableArray<ProcessInfo> Processes { get; init; } = [];
}
