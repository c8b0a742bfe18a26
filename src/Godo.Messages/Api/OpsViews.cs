namespace Godo.Messages.Api;

/// <summary>`GET /ops/actors` (pbm's `actor hierarchy`): every actor path found.</summary>
public sealed record ActorHierarchy(int Count, IReadOnlyList<string> Paths);

/// <summary>`GET /ops/memory`: the aggregator's memory against the processes it holds.</summary>
public sealed record MemoryView(long ManagedBytes, long? RssBytes, long Processes, int Hosts, double? ManagedBytesPerProcess);
