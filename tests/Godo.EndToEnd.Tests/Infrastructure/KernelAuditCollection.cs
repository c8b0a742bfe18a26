namespace Godo.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Kernel audit state is global and only one process can be the audit daemon, so every test that runs a live agent
/// (a `godo standalone`) joins this collection: xUnit runs its members one at a time, never beside another collection.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelAuditCollection
{
    public const string Name = "kernel-audit";
}
