using Godo.Messages.Supervision;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Godo.Aggregator.Ops;

/// <summary>`/healthz/ready` fails once a critical actor (the ingest, a standalone's tree) has stopped.</summary>
public sealed class PipelineHealthCheck(CriticalActors critical) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(critical.Failure is { } failure ? HealthCheckResult.Unhealthy(failure) : HealthCheckResult.Healthy("the pipeline's actors live"));
}
