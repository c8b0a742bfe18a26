namespace Godo.Agent.Netlink;

/// <summary>Netlink message types used on the NETLINK_AUDIT socket (kernel include/uapi/linux/audit.h).</summary>
public static class AuditMessageTypes
{
    // Generic netlink control messages (include/uapi/linux/netlink.h).
    public const int NlmsgNoop = 1;
    public const int NlmsgError = 2;
    public const int NlmsgDone = 3;
    public const int NlmsgOverrun = 4;

    // Commands to the kernel (1000-1099).
    public const int Get = 1000;
    public const int Set = 1001;
    public const int AddRule = 1011;
    public const int DelRule = 1012;
    public const int ListRules = 1013;

    // Records from the kernel that the tree builder cares about.
    public const int Syscall = 1300;
    public const int Path = 1302;
    public const int ConfigChange = 1305;
    public const int Cwd = 1307;
    public const int Execve = 1309;
    public const int ObjPid = 1318;
    public const int Eoe = 1320;
    public const int Proctitle = 1327;

    /// <summary>Kernel probe that tests the registered daemon's socket; binary payload (a pid), not a record.</summary>
    public const int Replace = 1329;

    /// <summary>Emitted by the kernel when a reader joins or leaves the multicast group.</summary>
    public const int EventListener = 1335;

    /// <summary>True for the netlink-level types (NOOP, ERROR, DONE, OVERRUN) that never carry a record.</summary>
    public static bool IsNetlinkControl(int type) => type < 16;
}
