using System.Text.Json;

namespace Godo.Agent.Netlink;

/// <summary>The kernel audit settings a session changes and must put back.</summary>
public sealed record AuditKernelSnapshot(uint Enabled, uint Pid, uint BacklogLimit, uint BacklogWaitTime, bool HasBacklogWaitTime)
{
    public static AuditKernelSnapshot From(AuditStatus s) =>
        new(s.Enabled, s.Pid, s.BacklogLimit, s.BacklogWaitTime, s.HasBacklogWaitTime);
}
