using System.Buffers.Binary;
using System.Text;

namespace Godo.Agent.Netlink;

/// <summary>Filter list a rule lives on (AUDIT_FILTER_*). Process tracking uses <see cref="Exit"/>.</summary>
public enum AuditFilterList : uint
{
    User = 0,
    Task = 1,
    Entry = 2,
    Watch = 3,
    Exit = 4,
    Exclude = 5,
    Filesystem = 6,
}

public enum AuditRuleAction : uint
{
    Never = 0,
    Possible = 1,
    Always = 2,
}

/// <summary>AUDIT_ARCH_* values: EM_* machine | 64-bit (0x80000000) | little-endian (0x40000000).</summary>
public enum AuditArch : uint
{
    /// <summary>"b64" on x86_64.</summary>
    X86_64 = 0xC000003E,
    /// <summary>"b32" on x86_64 (ia32 emulation).</summary>
    I386 = 0x40000003,
    Aarch64 = 0xC00000B7,
}

/// <summary>Comparison operators stored in <c>fieldflags</c>.</summary>
public enum AuditOperator : uint
{
    BitMask = 0x08000000,
    LessThan = 0x10000000,
    GreaterThan = 0x20000000,
    NotEqual = 0x30000000,
    Equal = 0x40000000,
    BitTest = 0x48000000,
    LessThanOrEqual = 0x50000000,
    GreaterThanOrEqual = 0x60000000,
}

/// <summary>Field ids (AUDIT_* in audit.h) used by godo; others can be passed as raw numbers.</summary>
public static class AuditFieldIds
{
    public const uint Pid = 0;
    public const uint Uid = 1;
    public const uint Arch = 11;
    public const uint Ppid = 18;
    public const uint Exit = 103;
    public const uint Success = 104;
    public const uint Watch = 105;
    public const uint Dir = 107;
    public const uint Exe = 112;
    public const uint A0 = 200;
    public const uint A1 = 201;
    public const uint A2 = 202;
    public const uint A3 = 203;
    public const uint FilterKey = 210;

    /// <summary>
    /// Fields whose value is a string: values[i] holds its byte length and the bytes go to buf (no NUL), in field
    /// order. SELinux subject/object fields (13-17, 19-23), watch, dir, exe and key (kernel audit_krule_to_data).
    /// </summary>
    public static bool IsString(uint field) => field is (>= 13 and <= 17) or (>= 19 and <= 23) or Watch or Dir or Exe or FilterKey;
}

/// <summary>One field of a rule. For string fields <see cref="Data"/> holds the bytes and <see cref="Value"/> their length.</summary>
public sealed record AuditRuleField(uint Field, AuditOperator Operator, uint Value, byte[]? Data = null)
{
    public string? Text => Data is null ? null : Encoding.UTF8.GetString(Data);
}

/// <summary>
/// <c>struct audit_rule_data</c>: u32 flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64],
/// buflen (1040-byte header) then buf. Encodes rules for AUDIT_ADD_RULE/DEL_RULE and parses AUDIT_LIST_RULES replies.
/// A parsed rule re-encodes to what the kernel needs to delete it (the kernel deletes by full comparison).
/// </summary>
public sealed class AuditRule
{
    public const int HeaderSize = 1040;
    public const int MaxFields = 64;
    public const int BitmaskWords = 64;
    public const int MaxKeyLength = 256;

    /// <summary>AUDIT_FILTER_PREPEND: insert at the head of the list instead of appending.</summary>
    public const uint FilterPrependFlag = 0x10;

    /// <summary>Separator between several keys in one key field (auditctl -k a -k b).</summary>
    public const char KeySeparator = '\u0001';

    private readonly uint[] _mask;

    public AuditRule(AuditFilterList list, AuditRuleAction action, bool prepend, IReadOnlyList<AuditRuleField> fields, ReadOnlySpan<uint> mask)
    {
        if (fields.Count > MaxFields) throw new ArgumentException($"a rule holds at most {MaxFields} fields", nameof(fields));
        if (mask.Length > BitmaskWords) throw new ArgumentException($"the syscall mask has {BitmaskWords} words", nameof(mask));
        List = list;
        Action = action;
        Prepend = prepend;
        Fields = fields;
        _mask = new uint[BitmaskWords];
        mask.CopyTo(_mask);
    }

    public AuditFilterList List { get; }
    public AuditRuleAction Action { get; }
    public bool Prepend { get; }
    public IReadOnlyList<AuditRuleField> Fields { get; }
    public ReadOnlySpan<uint> Mask => _mask;

    /// <summary>
    /// The top AUDIT_SYSCALL_CLASSES (16) bits of the mask select syscall classes; the kernel expands and clears them,
    /// so a listed "-S all" rule has bits 0..2031 set, not all 2048. Both forms count as all.
    /// </summary>
    public const int SyscallClassBits = 16;

    public bool AllSyscalls
    {
        get
        {
            for (int w = 0; w < BitmaskWords - 1; w++) if (_mask[w] != uint.MaxValue) return false;
            const uint realBits = (1u << (32 - SyscallClassBits)) - 1;
            return (_mask[BitmaskWords - 1] & realBits) == realBits;
        }
    }

    public bool HasSyscall(int nr) => nr >= 0 && nr < BitmaskWords * 32 && (_mask[nr / 32] & (1u << (nr % 32))) != 0;

    public IEnumerable<int> Syscalls()
    {
        for (int nr = 0; nr < BitmaskWords * 32; nr++)
            if (HasSyscall(nr)) yield return nr;
    }

    public uint? Arch => Fields.FirstOrDefault(f => f.Field == AuditFieldIds.Arch)?.Value;

    /// <summary>All keys on the rule (one key field may carry several, joined by \x01).</summary>
    public IReadOnlyList<string> Keys =>
        Fields.Where(f => f.Field == AuditFieldIds.FilterKey && f.Data is not null)
              .SelectMany(f => f.Text!.Split(KeySeparator))
              .ToArray();

    public bool HasKey(string key) => Keys.Contains(key, StringComparer.Ordinal);

    public byte[] ToBytes()
    {
        int buflen = 0;
        foreach (var f in Fields) buflen += f.Data?.Length ?? 0;
        // The kernel reads HeaderSize + buflen; pad the payload to 4 bytes like netlink messages.
        var b = new byte[(HeaderSize + buflen + 3) & ~3];
        var s = b.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s[0..], (uint)List | (Prepend ? FilterPrependFlag : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)Action);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)Fields.Count);
        for (int i = 0; i < BitmaskWords; i++) BinaryPrimitives.WriteUInt32LittleEndian(s[(12 + i * 4)..], _mask[i]);
        int pos = HeaderSize;
        for (int i = 0; i < Fields.Count; i++)
        {
            var f = Fields[i];
            BinaryPrimitives.WriteUInt32LittleEndian(s[(268 + i * 4)..], f.Field);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(524 + i * 4)..], f.Data is null ? f.Value : (uint)f.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(780 + i * 4)..], (uint)f.Operator);
            if (f.Data is not null)
            {
                f.Data.CopyTo(s[pos..]);
                pos += f.Data.Length;
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(s[1036..], (uint)buflen);
        return b;
    }

    public static AuditRule Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize) throw new FormatException($"audit_rule_data is {data.Length} bytes, header alone is {HeaderSize}");
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(data);
        uint action = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        if (count > MaxFields) throw new FormatException($"audit_rule_data field_count {count} > {MaxFields}");
        var mask = new uint[BitmaskWords];
        for (int i = 0; i < BitmaskWords; i++) mask[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(12 + i * 4)..]);
        uint buflen = BinaryPrimitives.ReadUInt32LittleEndian(data[1036..]);
        if (HeaderSize + (long)buflen > data.Length) throw new FormatException($"audit_rule_data buflen {buflen} runs past the {data.Length}-byte message");
        var buf = data.Slice(HeaderSize, (int)buflen);

        var fields = new List<AuditRuleField>((int)count);
        int pos = 0;
        for (int i = 0; i < count; i++)
        {
            uint field = BinaryPrimitives.ReadUInt32LittleEndian(data[(268 + i * 4)..]);
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(data[(524 + i * 4)..]);
            var op = (AuditOperator)BinaryPrimitives.ReadUInt32LittleEndian(data[(780 + i * 4)..]);
            byte[]? str = null;
            if (AuditFieldIds.IsString(field))
            {
                if (pos + (long)value > buf.Length) throw new FormatException($"string field {field} runs past buflen");
                str = buf.Slice(pos, (int)value).ToArray();
                pos += (int)value;
            }
            fields.Add(new AuditRuleField(field, op, value, str));
        }

        return new AuditRule((AuditFilterList)(flags & ~FilterPrependFlag), (AuditRuleAction)action,
            (flags & FilterPrependFlag) != 0, fields, mask);
    }

    /// <summary>auditctl-like text, for logs and test messages.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Prepend ? "-A " : "-a ").Append(Action.ToString().ToLowerInvariant()).Append(',').Append(List.ToString().ToLowerInvariant());
        foreach (var f in Fields)
        {
            if (f.Field == AuditFieldIds.Arch)
            {
                sb.Append(" -F arch=").Append(f.Value switch
                {
                    (uint)AuditArch.X86_64 => "b64",
                    (uint)AuditArch.I386 => "b32",
                    _ => "0x" + f.Value.ToString("x"),
                });
                break;
            }
        }
        if (AllSyscalls) sb.Append(" -S all");
        else if (Syscalls().Any()) sb.Append(" -S ").AppendJoin(',', Syscalls());
        foreach (var f in Fields)
        {
            if (f.Field == AuditFieldIds.Arch) continue;
            string name = f.Field switch
            {
                AuditFieldIds.Pid => "pid",
                AuditFieldIds.Ppid => "ppid",
                AuditFieldIds.A0 => "a0",
                AuditFieldIds.A1 => "a1",
                AuditFieldIds.A2 => "a2",
                AuditFieldIds.A3 => "a3",
                AuditFieldIds.FilterKey => "key",
                AuditFieldIds.Exe => "exe",
                AuditFieldIds.Exit => "exit",
                AuditFieldIds.Success => "success",
                _ => "field" + f.Field,
            };
            string op = f.Operator switch
            {
                AuditOperator.Equal => "=",
                AuditOperator.NotEqual => "!=",
                AuditOperator.BitMask => "&",
                AuditOperator.BitTest => "&=",
                AuditOperator.LessThan => "<",
                AuditOperator.GreaterThan => ">",
                AuditOperator.LessThanOrEqual => "<=",
                AuditOperator.GreaterThanOrEqual => ">=",
                _ => "?",
            };
            sb.Append(" -F ").Append(name).Append(op).Append(f.Data is null ? f.Value.ToString() : f.Text!.Replace(KeySeparator, ','));
        }
        return sb.ToString();
    }
}
