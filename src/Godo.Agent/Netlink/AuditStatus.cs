using System.Buffers.Binary;

namespace Godo.Agent.Netlink;

/// <summary>AUDIT_STATUS_* bits of <c>audit_status.mask</c>: which fields an AUDIT_SET applies.</summary>
[Flags]
public enum AuditStatusMask : uint
{
    None = 0,
    Enabled = 0x1,
    Failure = 0x2,
    Pid = 0x4,
    RateLimit = 0x8,
    BacklogLimit = 0x10,
    BacklogWaitTime = 0x20,
    /// <summary>Resets the kernel's lost counter (with AUDIT_FEATURE_BITMAP_LOST_RESET); use alone, see ResetLost.</summary>
    Lost = 0x40,
    BacklogWaitTimeActual = 0x80,
}

/// <summary>
/// <c>struct audit_status</c> (u32 fields, in kernel order). Older kernels return a shorter struct: at least the
/// 32 bytes through <c>backlog</c>; <see cref="Length"/> says how much was real, the rest reads as 0.
/// </summary>
public readonly record struct AuditStatus
{
    /// <summary>Size of the struct in the newest kernels we know (11 × u32).</summary>
    public const int FullSize = 44;

    /// <summary>Oldest layout still in use (through <c>backlog</c>).</summary>
    public const int MinimumSize = 32;

    public uint Mask { get; init; }
    /// <summary>0 off, 1 on, 2 on and locked (immutable until reboot).</summary>
    public uint Enabled { get; init; }
    /// <summary>0 silent, 1 printk, 2 panic.</summary>
    public uint Failure { get; init; }
    /// <summary>Registered audit daemon (init-namespace tgid), 0 if none.</summary>
    public uint Pid { get; init; }
    public uint RateLimit { get; init; }
    public uint BacklogLimit { get; init; }
    /// <summary>Records the kernel dropped since boot (or the last LOST reset).</summary>
    public uint Lost { get; init; }
    /// <summary>Records queued in the kernel right now.</summary>
    public uint Backlog { get; init; }
    public uint FeatureBitmap { get; init; }
    /// <summary>In jiffies; 0 = never make an audited task wait for backlog space.</summary>
    public uint BacklogWaitTime { get; init; }
    public uint BacklogWaitTimeActual { get; init; }

    /// <summary>Bytes the kernel actually returned (or <see cref="FullSize"/> for a struct built here).</summary>
    public int Length { get; init; }

    public const uint EnabledOff = 0;
    public const uint EnabledOn = 1;
    public const uint EnabledLocked = 2;

    public bool IsLocked => Enabled == EnabledLocked;
    /// <summary>Test seam: tests check how much of the status the kernel sent.</summary>
    public bool HasFeatureBitmap => Length >= 36;
    public bool HasBacklogWaitTime => Length >= 40;

    public static AuditStatus Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < MinimumSize)
            throw new FormatException($"audit_status reply is {data.Length} bytes, expected at least {MinimumSize}");

        // Fields past what the kernel sent read as 0.
        Span<uint> v = stackalloc uint[FullSize / 4];
        for (int i = 0; i < v.Length && i * 4 + 4 <= data.Length; i++) v[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
        return new AuditStatus
        {
            Mask = v[0],
            Enabled = v[1],
            Failure = v[2],
            Pid = v[3],
            RateLimit = v[4],
            BacklogLimit = v[5],
            Lost = v[6],
            Backlog = v[7],
            FeatureBitmap = v[8],
            BacklogWaitTime = v[9],
            BacklogWaitTimeActual = v[10],
            Length = Math.Min(data.Length, FullSize),
        };
    }

    /// <summary>The full 44-byte struct; the kernel copies min(sent, its own size), so older kernels accept it too.</summary>
    public byte[] ToBytes()
    {
        var b = new byte[FullSize];
        uint[] v = [Mask, Enabled, Failure, Pid, RateLimit, BacklogLimit, Lost, Backlog, FeatureBitmap, BacklogWaitTime, BacklogWaitTimeActual];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }

    public override string ToString() =>
        $"enabled={Enabled} failure={Failure} pid={Pid} rate_limit={RateLimit} backlog_limit={BacklogLimit} lost={Lost} " +
        $"backlog={Backlog} backlog_wait_time={BacklogWaitTime} (struct {Length} bytes)";
}

/// <summary>AUDIT_GET / AUDIT_SET on an <see cref="AuditNetlinkSocket"/>. All need CAP_AUDIT_CONTROL.</summary>
public static class AuditStatusCommands
{
    public static AuditStatus GetStatus(this AuditNetlinkSocket socket) =>
        AuditStatus.Parse(socket.Query(AuditMessageTypes.Get, ReadOnlySpan<byte>.Empty, AuditMessageTypes.Get, "AUDIT_GET"));

    /// <summary>Applies the fields selected by <paramref name="mask"/> from <paramref name="values"/>; waits for the ack.</summary>
    public static void SetStatus(this AuditNetlinkSocket socket, AuditStatusMask mask, AuditStatus values)
    {
        var s = values with { Mask = (uint)mask };
        socket.Execute(AuditMessageTypes.Set, s.ToBytes(), $"AUDIT_SET({mask})");
    }

    public static void SetEnabled(this AuditNetlinkSocket socket, uint enabled) =>
        socket.SetStatus(AuditStatusMask.Enabled, new AuditStatus { Enabled = enabled });

    /// <summary>
    /// Registers <paramref name="pid"/> as the audit daemon (0 unregisters). The kernel requires pid to be the caller's
    /// tgid and sends unicast records to the port id of the socket this is sent on, so send it on the reading socket.
    /// </summary>
    public static void SetPid(this AuditNetlinkSocket socket, uint pid) =>
        socket.SetStatus(AuditStatusMask.Pid, new AuditStatus { Pid = pid });

    public static void SetBacklogLimit(this AuditNetlinkSocket socket, uint limit) =>
        socket.SetStatus(AuditStatusMask.BacklogLimit, new AuditStatus { BacklogLimit = limit });

    /// <summary>
    /// Zeroes the kernel's lost counter and returns its previous value (kernels with AUDIT_FEATURE_BITMAP_LOST_RESET,
    /// feature bit 0x20). The mask must be LOST alone: the kernel answers through the ack, not a status reply.
    /// </summary>
    public static uint ResetLost(this AuditNetlinkSocket socket) =>
        (uint)socket.ExecuteForAckValue(AuditMessageTypes.Set, new AuditStatus { Mask = (uint)AuditStatusMask.Lost }.ToBytes(), "AUDIT_SET(Lost reset)");

    /// <summary>In jiffies (kernel HZ, often 250 or 1000); 0 = never block audited tasks.</summary>
    public static void SetBacklogWaitTime(this AuditNetlinkSocket socket, uint jiffies) =>
        socket.SetStatus(AuditStatusMask.BacklogWaitTime, new AuditStatus { BacklogWaitTime = jiffies });
}
