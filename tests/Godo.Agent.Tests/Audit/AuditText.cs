using System.Text;

namespace Godo.Agent.Tests.Audit;

/// <summary>
/// Writes audit text the way the kernel does (audit_log_untrustedstring, audit_log_n_hex, the EXECVE and
/// PROCTITLE rules of kernel/auditsc.c), independently of the parser under test.
/// </summary>
public static class AuditText
{
    public const string ArchX86_64 = "c000003e";
    public const string ArchI386 = "40000003";

    /// <summary><c>type=NAME msg=audit(SECONDS.MILLIS:SERIAL): </c></summary>
    public static string Header(string type, long timeMs, long serial) =>
        $"type={type} msg=audit({timeMs / 1000}.{timeMs % 1000:D3}:{serial}): ";

    /// <summary>The kernel's rule: quoted unless a byte is '"', below 0x21 or above 0x7e; then uppercase hex of the bytes.</summary>
    public static string Untrusted(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return NeedsHex(bytes) ? Convert.ToHexString(bytes) : "\"" + value + "\"";
    }

    public static bool NeedsHex(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            if (b == (byte)'"' || b < 0x21 || b > 0x7e) return true;
        return false;
    }

    /// <summary>Uppercase hex of the UTF-8 bytes, as audit_log_n_hex writes it.</summary>
    public static string Hex(string value) => Convert.ToHexString(Encoding.UTF8.GetBytes(value));

    /// <summary>PROCTITLE: argv joined by NULs, at most 128 bytes, encoded as an untrusted string.</summary>
    public static string Proctitle(IReadOnlyList<string> argv)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join('\0', argv));
        if (bytes.Length > 128) bytes = bytes[..128];
        return NeedsHex(bytes) ? Convert.ToHexString(bytes) : "\"" + Encoding.UTF8.GetString(bytes) + "\"";
    }

    /// <summary>The EXECVE body for argv when everything fits one record: <c>argc=N a0=… a1=…</c>.</summary>
    public static string ExecveBody(IReadOnlyList<string> argv)
    {
        var sb = new StringBuilder($"argc={argv.Count}");
        for (var i = 0; i < argv.Count; i++) sb.Append($" a{i}=").Append(Untrusted(argv[i]));
        return sb.ToString();
    }

    /// <summary>
    /// The EXECVE record bodies the kernel writes for argv (audit_log_execve_info): each record has a budget of
    /// <paramref name="budget"/> bytes; an argument that does not fit the space left is split into
    /// <c>aN_len=L aN[0]=… aN[1]=…</c>, continued in further records; one of <paramref name="budget"/> bytes or more
    /// is always hex; only the first record carries argc.
    /// </summary>
    public static List<string> ExecveBodies(IReadOnlyList<string> argv, int budget = 7500)
    {
        const int headRoom = 96 + 8; // the kernel's abuf, plus slack: below this, start a new record
        var bodies = new List<string>();
        var sb = new StringBuilder($"argc={argv.Count}");
        var rem = budget;
        void NewRecord() { bodies.Add(sb.ToString().TrimStart()); sb.Clear(); rem = budget; }
        for (var i = 0; i < argv.Count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(argv[i]);
            var encode = NeedsHex(bytes) || bytes.Length >= budget;
            var encodedLen = encode ? bytes.Length * 2 : bytes.Length + 2;
            if (headRoom > rem) NewRecord();
            if (bytes.Length < budget && encodedLen + headRoom <= rem)
            {
                var whole = $" a{i}=" + (encode ? Convert.ToHexString(bytes) : "\"" + argv[i] + "\"");
                sb.Append(whole);
                rem -= whole.Length;
                continue;
            }
            var off = 0;
            for (var k = 0; off < bytes.Length || k == 0; k++)
            {
                if (headRoom > rem) NewRecord();
                var head = (k == 0 ? $" a{i}_len={encodedLen - (encode ? 0 : 2)}" : "") + $" a{i}[{k}]=";
                sb.Append(head);
                rem -= head.Length;
                var take = Math.Min(encode ? rem / 2 : rem - 2, bytes.Length - off);
                var chunk = bytes.AsSpan(off, take);
                var text = encode ? Convert.ToHexString(chunk) : "\"" + Encoding.ASCII.GetString(chunk) + "\"";
                sb.Append(text);
                rem -= text.Length;
                off += take;
            }
        }
        bodies.Add(sb.ToString().TrimStart());
        return bodies;
    }
}
