namespace Godo.Agent.Netlink;

/// <summary>How godo receives kernel audit records.</summary>
public enum AuditMode
{
    /// <summary>Unicast when no live daemon holds the audit pid and the config is not locked; multicast otherwise.</summary>
    Auto,

    /// <summary>Become the audit daemon (AUDIT_SET pid). Lossless hand-off with kernel backpressure; excludes auditd.</summary>
    Unicast,

    /// <summary>Read-only copy via AUDIT_NLGRP_READLOG beside a running auditd (or journald). Best effort: ENOBUFS drops.</summary>
    Multicast,
}

public sealed class AuditSessionOptions
{
    public AuditMode Mode { get; init; } = AuditMode.Auto;

    /// <summary>Load godo's rules (after removing stale godo rules). Off only for tests or externally managed rules.</summary>
    public bool InstallRules { get; init; } = true;

    /// <summary>
    /// Kernel queue length (records) before it starts dropping or waiting. 8192 absorbs a fork/exec burst of a few
    /// thousand processes (a handful of records each) while keeping kernel memory bounded (records are up to ~9 KB).
    /// </summary>
    public uint BacklogLimit { get; init; } = 8192;

    /// <summary>
    /// Jiffies an audited task may sleep when the backlog is full. 0: never block. The kernel default (60·HZ, i.e.
    /// 60 s) makes every audited fork/exec/exit on the host wait up to a minute whenever the reader lags (fact 14,
    /// elastic/beats#7157), and any nonzero wait is paid by every task hitting the full queue. With 0 the kernel
    /// drops instead and counts `lost`; the receiver's status poll reports that so the tree is reconciled from /proc.
    /// Not applied when failure=2 (panic on loss): there dropping would panic the host, so the found value is kept.
    /// </summary>
    public uint BacklogWaitTime { get; init; } = 0;

    /// <summary>SO_RCVBUF(FORCE) for the event socket. Large because multicast overflows as ENOBUFS (journald uses 128 MiB).</summary>
    public int ReceiveBufferBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>
    /// Optional file (e.g. /run/godo/audit-session.json) recording the kernel state found at start. If the agent is
    /// SIGKILLed, the next session reads it and restores the true original values, not the ones the dead agent set.
    /// </summary>
    public string? StateFilePath { get; init; }

    /// <summary>Diagnostics sink (decisions, non-fatal failures). Called on the caller's thread.</summary>
    public Action<string>? Log { get; init; }
}
