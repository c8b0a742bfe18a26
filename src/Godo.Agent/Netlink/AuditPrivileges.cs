using System.Globalization;

namespace Godo.Agent.Netlink;

/// <summary>
/// Capability checks done before touching the kernel, so a missing privilege gives one readable line instead of a
/// bare EPERM from deep inside netlink. Reads CapEff from /proc (no libcap dependency).
/// </summary>
public static class AuditPrivileges
{
    /// <summary>Rules, AUDIT_GET/SET, becoming the audit daemon.</summary>
    public const int CapAuditControl = 30;
    /// <summary>Joining the AUDIT_NLGRP_READLOG multicast group.</summary>
    public const int CapAuditRead = 37;

    /// <summary>Parses the hex CapEff line of a /proc/&lt;pid&gt;/status text.</summary>
    public static ulong ParseEffectiveCapabilities(string procStatus)
    {
        foreach (var raw in procStatus.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
            var hex = line["CapEff:".Length..].Trim();
            if (ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong caps)) return caps;
            throw new FormatException($"unreadable CapEff value '{hex}'");
        }
        throw new FormatException("no CapEff line in process status");
    }

    /// <summary>
    /// The calling thread's CapEff. Capabilities are per thread on Linux and the kernel checks the caller's, so
    /// /proc/thread-self (Linux 3.17+) is the accurate source; /proc/self shows only the main thread.
    /// </summary>
    public static ulong ReadEffectiveCapabilities()
    {
        const string thread = "/proc/thread-self/status";
        return ParseEffectiveCapabilities(File.ReadAllText(File.Exists(thread) ? thread : "/proc/self/status"));
    }

    public static uint EffectiveUid() => LibC.GetEUid();

    public static bool Has(ulong caps, int cap) => (caps & (1UL << cap)) != 0;

    /// <summary>
    /// Returns the one-line explanation of what is missing for the given needs, or null when nothing is.
    /// Pure, so it can be unit-tested without changing the test process's privileges.
    /// </summary>
    public static string? DescribeMissing(ulong caps, uint euid, bool needControl, bool needRead, out IReadOnlyList<string> missing)
    {
        var names = new List<string>();
        var why = new List<string>();
        if (needControl && !Has(caps, CapAuditControl))
        {
            names.Add("CAP_AUDIT_CONTROL");
            why.Add("CAP_AUDIT_CONTROL (to read audit status, load rules and register as the audit daemon)");
        }
        if (needRead && !Has(caps, CapAuditRead))
        {
            names.Add("CAP_AUDIT_READ");
            why.Add("CAP_AUDIT_READ (to join the audit multicast group beside another audit daemon)");
        }
        missing = names;
        if (names.Count == 0) return null;

        string who = euid == 0 ? "running as root but without them (capability bounding set or container?)" : $"running as uid {euid}, not root";
        return $"godo cannot use kernel audit: missing {string.Join(" and ", why)}; {who}. Run as root or grant the capabilities.";
    }

    /// <summary>Throws <see cref="AuditPermissionException"/> if the current process lacks what is asked for.</summary>
    public static void Demand(bool needControl, bool needRead)
    {
        var message = DescribeMissing(ReadEffectiveCapabilities(), EffectiveUid(), needControl, needRead, out var missing);
        if (message is not null) throw new AuditPermissionException(message, missing);
    }
}
