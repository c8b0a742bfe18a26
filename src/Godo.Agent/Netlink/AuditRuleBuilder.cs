using System.Text;

namespace Godo.Agent.Netlink;

/// <summary>
/// Fluent builder for <see cref="AuditRule"/>. Syscall numbers depend on the ABI (execve is 59 on b64, 11 on b32),
/// so <see cref="Arch"/> must come before <see cref="Syscalls"/>, and the arch field is always the first field,
/// the same order auditctl insists on.
/// </summary>
public sealed class AuditRuleBuilder
{
    private readonly AuditFilterList _list;
    private readonly AuditRuleAction _action;
    private readonly List<AuditRuleField> _fields = new();
    private readonly uint[] _mask = new uint[AuditRule.BitmaskWords];
    private bool _prepend;
    private bool _hasArch;
    private bool _hasSyscalls;
    private bool _hasKey;

    public AuditRuleBuilder(AuditFilterList list, AuditRuleAction action)
    {
        _list = list;
        _action = action;
    }

    /// <summary>A rule on the syscall-exit list (where SYSCALL records with their return values are produced).</summary>
    public static AuditRuleBuilder Exit(AuditRuleAction action) => new(AuditFilterList.Exit, action);

    /// <summary>Insert at the head of the list (auditctl -A): first matching rule wins on the exit list.</summary>
    public AuditRuleBuilder Prepend()
    {
        _prepend = true;
        return this;
    }

    public AuditRuleBuilder Arch(AuditArch arch)
    {
        if (_hasArch) throw new InvalidOperationException("arch is already set");
        if (_fields.Count > 0 || _hasSyscalls) throw new InvalidOperationException("set arch before any syscall or field: syscall numbers are per-ABI");
        _fields.Add(new AuditRuleField(AuditFieldIds.Arch, AuditOperator.Equal, (uint)arch));
        _hasArch = true;
        return this;
    }

    public AuditRuleBuilder Syscalls(params int[] numbers)
    {
        if (!_hasArch) throw new InvalidOperationException("set arch before syscalls: syscall numbers are per-ABI");
        foreach (int nr in numbers)
        {
            if (nr < 0 || nr >= AuditRule.BitmaskWords * 32) throw new ArgumentOutOfRangeException(nameof(numbers), nr, "syscall number out of the 2048-bit mask");
            _mask[nr / 32] |= 1u << (nr % 32);
        }
        _hasSyscalls = true;
        return this;
    }

    /// <summary>Every syscall (all mask bits set); needs no arch because it does not depend on numbering.</summary>
    public AuditRuleBuilder AllSyscalls()
    {
        Array.Fill(_mask, uint.MaxValue);
        _hasSyscalls = true;
        return this;
    }

    public AuditRuleBuilder Field(uint field, AuditOperator op, uint value)
    {
        if (field == AuditFieldIds.Arch) throw new InvalidOperationException("use Arch()");
        if (AuditFieldIds.IsString(field)) throw new InvalidOperationException($"field {field} is a string field; use StringField()");
        _fields.Add(new AuditRuleField(field, op, value));
        return this;
    }

    public AuditRuleBuilder StringField(uint field, string value)
    {
        if (!AuditFieldIds.IsString(field)) throw new InvalidOperationException($"field {field} is not a string field");
        var bytes = Encoding.UTF8.GetBytes(value);
        _fields.Add(new AuditRuleField(field, AuditOperator.Equal, (uint)bytes.Length, bytes));
        return this;
    }

    public AuditRuleBuilder Pid(uint pid) => Field(AuditFieldIds.Pid, AuditOperator.Equal, pid);

    /// <summary>Only calls that succeeded (return value &gt;= 0; AUDIT_SUCCESS with value 1).</summary>
    public AuditRuleBuilder Succeeded() => Field(AuditFieldIds.Success, AuditOperator.Equal, 1);

    /// <summary>aN == value (N = 0..3), e.g. kill's signal number in a1.</summary>
    public AuditRuleBuilder Argument(int index, uint value, AuditOperator op = AuditOperator.Equal)
    {
        if (index is < 0 or > 3) throw new ArgumentOutOfRangeException(nameof(index), "syscall arguments a0..a3");
        return Field(AuditFieldIds.A0 + (uint)index, op, value);
    }

    /// <summary>The rule's key. The kernel allows one key field; several keys are joined by \x01 like auditctl does.</summary>
    public AuditRuleBuilder Key(params string[] keys)
    {
        if (_hasKey) throw new InvalidOperationException("a rule has one key field; pass all keys in one call");
        if (keys.Length == 0 || keys.Any(string.IsNullOrEmpty)) throw new ArgumentException("keys must be non-empty", nameof(keys));
        string joined = string.Join(AuditRule.KeySeparator, keys);
        if (Encoding.UTF8.GetByteCount(joined) > AuditRule.MaxKeyLength) throw new ArgumentException($"key longer than {AuditRule.MaxKeyLength} bytes", nameof(keys));
        _hasKey = true;
        return StringField(AuditFieldIds.FilterKey, joined);
    }

    public AuditRule Build()
    {
        if (_fields.Count > AuditRule.MaxFields) throw new InvalidOperationException($"more than {AuditRule.MaxFields} fields");
        if (_list == AuditFilterList.Exit && !_hasSyscalls)
            throw new InvalidOperationException("an exit rule needs syscalls (or AllSyscalls)");
        return new AuditRule(_list, _action, _prepend, _fields.ToArray(), _mask);
    }
}
