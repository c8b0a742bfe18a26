using System.Runtime.CompilerServices;
using System.Buffers.Text;

namespace Godo.Agent.Audit;

/// <summary>
/// Parses the audit text form shared by auditd's raw log, auditd plugins' stdin and netlink payloads:
/// <c>[node=N ]type=NAME msg=audit(SECONDS.MILLIS:SERIAL): k=v ...</c>, or, from netlink, the payload
/// <c>audit(SECONDS.MILLIS:SERIAL): k=v ...</c> with the type taken from the netlink header.
/// Never throws: a bad line yields a <see cref="MalformedReason"/>.
/// </summary>
public static class AuditLineParser
{
    /// <summary>The kernel never sends more than 8970 bytes a record; anything far longer is garbage.</summary>
    public const int MaxLineBytes = 64 * 1024;

    private const byte GroupSeparator = 0x1d; // auditd's "enriched" format appends interpreted fields after it

    /// <param name="arena">where the body is kept (a reading thread's own); null copies it into an array of its own.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public static MalformedReason TryParseLine(ReadOnlySpan<byte> line, out AuditRecord record, BodyArena? arena = null)
    {
        record = default;
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (line.IsEmpty) return MalformedReason.Empty;
        if (line.Length > MaxLineBytes) return MalformedReason.Oversized;
        if (line.StartsWith("node="u8))
        {
            var sp = line.IndexOf((byte)' ');
            if (sp < 0) return MalformedReason.NoType;
            line = line[(sp + 1)..];
        }
        if (!line.StartsWith("type="u8)) return MalformedReason.NoType;
        var rest = line[5..];
        var end = rest.IndexOf((byte)' ');
        if (end <= 0) return MalformedReason.NoType;
        var type = CommonType(rest[..end]);
        if (type == 0)
        {
            var why = TryParseTypeName(rest[..end], out type);
            if (why != MalformedReason.None) return why;
        }
        rest = rest[(end + 1)..];
        if (!rest.StartsWith("msg="u8)) return MalformedReason.NoHeader;
        return TryParsePayload(type, rest[4..], out record, arena);
    }

    /// <summary>
    /// The types that make up nearly every line of a log, matched on their bytes: a replay parses millions of lines,
    /// and the general path (the name as chars, then a dictionary) was a few percent of its CPU. 0 for any other name.
    /// </summary>
    private static int CommonType(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 when name.SequenceEqual("EOE"u8) => AuditRecordType.Eoe,
        3 when name.SequenceEqual("CWD"u8) => AuditRecordType.Cwd,
        4 when name.SequenceEqual("PATH"u8) => AuditRecordType.Path,
        6 when name.SequenceEqual("EXECVE"u8) => AuditRecordType.Execve,
        7 when name.SequenceEqual("SYSCALL"u8) => AuditRecordType.Syscall,
        7 when name.SequenceEqual("OBJ_PID"u8) => AuditRecordType.ObjPid,
        9 when name.SequenceEqual("PROCTITLE"u8) => AuditRecordType.Proctitle,
        _ => 0,
    };

    /// <summary>Any other type name: printable ASCII, then NAME, a number or UNKNOWN[n] (<see cref="AuditRecordType.TryParse"/>).</summary>
    private static MalformedReason TryParseTypeName(ReadOnlySpan<byte> raw, out int type)
    {
        type = 0;
        if (raw.Length > 64) return MalformedReason.UnknownType;
        Span<char> name = stackalloc char[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b < 0x21 || b > 0x7e) return MalformedReason.Binary;
            name[i] = (char)b;
        }
        return AuditRecordType.TryParse(name, out type) ? MalformedReason.None : MalformedReason.UnknownType;
    }

    /// <summary>Parses <c>audit(SECONDS.MILLIS:SERIAL): fields</c> for a known type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public static MalformedReason TryParsePayload(int type, ReadOnlySpan<byte> payload, out AuditRecord record, BodyArena? arena = null)
    {
        record = default;
        if (payload.Length > MaxLineBytes) return MalformedReason.Oversized;
        // Netlink payloads may end in NUL padding or a newline; anything after them is binary, not padding.
        var nul = payload.IndexOfAny((byte)0, (byte)'\n');
        if (nul >= 0)
        {
            if (payload[nul..].IndexOfAnyExcept((byte)0, (byte)'\n', (byte)'\r') >= 0) return MalformedReason.Binary;
            payload = payload[..nul];
        }
        if (!payload.StartsWith("audit("u8)) return MalformedReason.NoHeader;
        var p = payload[6..];
        if (!Utf8Parser.TryParse(p, out long seconds, out var used) || used == 0) return MalformedReason.BadTimestamp;
        p = p[used..];
        long millis = 0;
        if (p.Length > 0 && p[0] == (byte)'.')
        {
            p = p[1..];
            var digits = 0;
            while (digits < p.Length && char.IsAsciiDigit((char)p[digits])) digits++;
            if (digits == 0) return MalformedReason.BadTimestamp;
            if (!Utf8Parser.TryParse(p[..Math.Min(digits, 3)], out millis, out _)) return MalformedReason.BadTimestamp;
            for (var i = Math.Min(digits, 3); i < 3; i++) millis *= 10;
            p = p[digits..];
        }
        if (p.Length == 0 || p[0] != (byte)':') return MalformedReason.BadSerial;
        p = p[1..];
        if (!Utf8Parser.TryParse(p, out long serial, out used) || used == 0 || serial < 0) return MalformedReason.BadSerial;
        p = p[used..];
        if (!p.StartsWith("):"u8)) return MalformedReason.BadSerial;
        if (seconds < 0 || seconds > 1L << 40) return MalformedReason.BadTimestamp;
        p = p[2..];
        if (p.Length > 0 && p[0] == (byte)' ') p = p[1..];

        // Audit text is printable ASCII: untrusted strings are hex-encoded by the kernel.
        var odd = p.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7e);
        if (odd >= 0)
        {
            if (p[odd] != GroupSeparator) return MalformedReason.Binary;
            p = p[..odd];
        }
        var body = !NeedsBody(type) ? ReadOnlyMemory<byte>.Empty : arena is not null ? arena.Copy(p) : p.ToArray();
        record = new AuditRecord(type, seconds * 1000 + millis, serial, body);
        return MalformedReason.None;
    }

    /// <summary>Only these records feed the tree; others are counted and grouped, but their fields are never decoded.</summary>
    public static bool NeedsBody(int type) => type is AuditRecordType.Syscall or AuditRecordType.Execve
        or AuditRecordType.Cwd or AuditRecordType.ObjPid or AuditRecordType.Proctitle or AuditRecordType.AnomAbend;
}
