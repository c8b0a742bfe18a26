namespace Godo.Agent.Tests.Infrastructure;

/// <summary>
/// Kernel audit state is global and only one process can be the audit daemon, so every test that
/// touches it joins this collection: xUnit runs its members one at a time, never beside another collection,
/// and the collection holds /tmp/godo-audit.lock while it runs, so no other test run, capture or benchmark
/// on this machine touches the kernel's audit state meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelAuditCollection : ICollectionFixture<KernelAuditCollection.LockHolder>
{
    public const string Name = "kernel-audit";

    public sealed class LockHolder : IAsyncLifetime
    {
        private KernelAuditLock? _lock;

        public async Task InitializeAsync() =>
            _lock = await KernelAuditLock.TakeAsync(KernelAuditLock.DefaultPath, TimeSpan.FromMinutes(30));

        public Task DisposeAsync()
        {
            _lock?.Dispose();
            return Task.CompletedTask;
        }
    }
}
