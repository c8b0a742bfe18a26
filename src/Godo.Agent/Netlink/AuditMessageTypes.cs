namespace Godo.Agent.Netlink;

/// <summary>
/// Netlink message types of the NETLINK_AUDIT socket itself: control and commands (kernel include/uapi/linux/audit.h).
/// The record types it carries are in <see cref="Audit.AuditRecordType"/>.
/// </summary>
public static class AuditMessageTypes
{
    // Generic netlink control messages (include/uapi/linux/netlink.h).
    public const int NlmsgError = 2;
    public const int NlmsgDone = 3;

    // Commands to the kernel (1000-1099).
    public const int Get = 1000;
    public const int Set = 1001;
    public const int AddRule = 1011;
    public const int DelRule = 1012;
    public const int ListRules = 1013;

    /// <summary>True for the netlink-level types (NOOP, ERROR, DONE, OVERRUN) that never carry a record.</summary>
    public static bool IsNetlinkControl(int type) => type < 16;
}
