using System.Runtime.CompilerServices;
namespace Godo.Agent.Audit;

/// <summary>Kernel audit record types godo cares about (linux/audit.h).</summary>
public static class AuditRecordType
{
    public const int Syscall = 1300;
    public const int Path = 1302;
    public const int ConfigChange = 1305;
    public const int Sockaddr = 1306;
    public const int Cwd = 1307;
    public const int Execve = 1309;
    public const int ObjPid = 1318;
    public const int Eoe = 1320;
    public const int BprmFcaps = 1321;
    public const int Proctitle = 1327;
    public const int Replace = 1329;
    public const int EventListener = 1335;
    public const int AnomAbend = 1701;
    public const int Login = 1006;

    private static readonly Dictionary<string, int> ByName = new(StringComparer.Ordinal)
    {
        ["SYSCALL"] = Syscall, ["PATH"] = Path, ["CONFIG_CHANGE"] = ConfigChange, ["SOCKADDR"] = Sockaddr,
        ["CWD"] = Cwd, ["EXECVE"] = Execve, ["OBJ_PID"] = ObjPid, ["EOE"] = Eoe, ["BPRM_FCAPS"] = BprmFcaps,
        ["PROCTITLE"] = Proctitle, ["REPLACE"] = Replace, ["EVENT_LISTENER"] = EventListener,
        ["ANOM_ABEND"] = AnomAbend, ["LOGIN"] = Login,
        ["FD_PAIR"] = 1317, ["IPC"] = 1303, ["SOCKETCALL"] = 1304, ["MMAP"] = 1323, ["NETFILTER_CFG"] = 1325,
        ["SECCOMP"] = 1326, ["KERN_MODULE"] = 1330, ["USER"] = 1005, ["DAEMON_START"] = 1200,
        ["DAEMON_END"] = 1201, ["DAEMON_ABORT"] = 1202, ["DAEMON_CONFIG"] = 1203, ["SERVICE_START"] = 1130,
        ["SERVICE_STOP"] = 1131, ["USER_START"] = 1105, ["USER_END"] = 1106, ["CRED_ACQ"] = 1103,
        ["CRED_DISP"] = 1104, ["USER_AUTH"] = 1100, ["USER_ACCT"] = 1101, ["USER_CMD"] = 1123,
        ["TIME_INJOFFSET"] = 1332, ["TIME_ADJNTPVAL"] = 1333, ["BPF"] = 1334, ["OPENAT2"] = 1337,
        ["URINGOP"] = 1336, ["DM_CTRL"] = 1338, ["DM_EVENT"] = 1339, ["AVC"] = 1400, ["SELINUX_ERR"] = 1401,
        ["ANOM_PROMISCUOUS"] = 1700, ["ANOM_LINK"] = 1702, ["ANOM_CREAT"] = 1703, ["INTEGRITY_RULE"] = 1805,
    };

    private static readonly Dictionary<int, string> ById = ByName.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>The name auditd writes for a type: NAME when known, else UNKNOWN[n] (which <see cref="TryParse"/> reads back).</summary>
    public static string NameOf(int type) => ById.TryGetValue(type, out var name) ? name : $"UNKNOWN[{type}]";

    /// <summary>Resolves NAME, a decimal number, or auditd's UNKNOWN[1334] form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public static bool TryParse(ReadOnlySpan<char> name, out int type)
    {
        if (name.Length > 0 && char.IsAsciiDigit(name[0]))
            return int.TryParse(name, out type) && type > 0;
        if (name.StartsWith("UNKNOWN[") && name.EndsWith("]"))
            return int.TryParse(name[8..^1], out type) && type > 0;
        var lookup = ByName.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(name, out type);
    }

    /// <summary>
    /// Records that make an event on their own: they never carry a SYSCALL companion or an EOE,
    /// so waiting for more would only delay them (user-space messages, daemon and config records).
    /// Not ANOM_ABEND, although it is alone too: a core dump is a death, and completed at once it would overtake
    /// the events still open before it (an auditd log has no EOE), e.g. a checkpoint or a fork of the victim.
    /// </summary>
    public static bool IsStandalone(int type) =>
        type is >= 1100 and <= 1299       // user-space and daemon messages
            or >= 2100 and <= 2999        // user-space LSPP/crypto/anomaly ranges
            or ConfigChange or Login or EventListener or 1005;
}
