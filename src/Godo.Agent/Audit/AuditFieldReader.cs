using System.Text;

namespace Godo.Agent.Audit;

/// <summary>
/// Walks the <c>k=v</c> pairs of a record body without allocating. Values come back raw:
/// <c>"quoted"</c> text keeps its quotes so the caller can tell it from the kernel's hex encoding.
/// </summary>
public ref struct AuditFieldReader
{
    private ReadOnlySpan<char> _rest;

    public AuditFieldReader(ReadOnlySpan<char> body) { _rest = body; Key = default; RawValue = default; }

    public ReadOnlySpan<char> Key { get; private set; }
    public ReadOnlySpan<char> RawValue { get; private set; }

    public bool MoveNext()
    {
        while (true)
        {
            _rest = _rest.TrimStart(' ');
            if (_rest.IsEmpty) return false;
            var eq = _rest.IndexOfAny('=', ' ');
            if (eq < 0) { _rest = default; return false; }
            if (_rest[eq] == ' ') { _rest = _rest[(eq + 1)..]; continue; } // a bare word: skip it
            Key = _rest[..eq];
            var v = _rest[(eq + 1)..];
            int len;
            if (v.Length > 0 && (v[0] == '"' || v[0] == '\''))
            {
                var close = v[1..].IndexOf(v[0]);
                len = close < 0 ? v.Length : close + 2;
            }
            else
            {
                len = v.IndexOf(' ');
                if (len < 0) len = v.Length;
            }
            RawValue = v[..len];
            _rest = v[len..];
            return true;
        }
    }
}

/// <summary>Decoding of audit values: quoted text, the kernel's uppercase hex, and (null).</summary>
public static class AuditValue
{
    /// <summary>
    /// Decodes an "untrusted string" field (comm, exe, cwd, aN, proctitle, key): quoted text as is,
    /// otherwise hex (the kernel's encoding when the value holds spaces, quotes or non-ASCII), else raw.
    /// </summary>
    public static string? DecodeString(ReadOnlySpan<char> raw)
    {
        if (raw.IsEmpty) return string.Empty;
        if (raw[0] == '"' || raw[0] == '\'')
            return raw.Length >= 2 && raw[^1] == raw[0] ? raw[1..^1].ToString() : raw[1..].ToString();
        if (raw.SequenceEqual("(null)") || raw.SequenceEqual("(none)")) return null;
        return TryDecodeHex(raw, out var s) ? s : raw.ToString();
    }

    /// <summary>Decodes hex into bytes, then UTF-8 text (invalid sequences become U+FFFD, never an exception).</summary>
    public static bool TryDecodeHex(ReadOnlySpan<char> hex, out string text)
    {
        text = string.Empty;
        if (hex.Length == 0 || (hex.Length & 1) != 0) return false;
        var bytes = hex.Length <= 1024 ? stackalloc byte[hex.Length / 2] : new byte[hex.Length / 2];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done) return false;
        text = Encoding.UTF8.GetString(bytes[..written]);
        return true;
    }

    /// <summary>Appends the bytes a raw value stands for (quoted text or hex) to a buffer.</summary>
    public static bool AppendBytes(ReadOnlySpan<char> raw, List<byte> into)
    {
        if (raw.Length > 0 && raw[0] == '"')
        {
            var inner = raw.Length >= 2 && raw[^1] == '"' ? raw[1..^1] : raw[1..];
            foreach (var c in inner) into.Add((byte)c);
            return true;
        }
        if ((raw.Length & 1) != 0) return false;
        for (var i = 0; i < raw.Length; i += 2)
        {
            var hi = HexNibble(raw[i]); var lo = HexNibble(raw[i + 1]);
            if (hi < 0 || lo < 0) return false;
            into.Add((byte)(hi << 4 | lo));
        }
        return true;
    }

    private static int HexNibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>a0..a3 and arch are printed in lowercase hex without 0x.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> raw, out ulong value) =>
        ulong.TryParse(raw, System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);

    /// <summary>The key field may hold several keys joined by 0x01 (hex-encoded then).</summary>
    public static IReadOnlyList<string> DecodeKeys(ReadOnlySpan<char> raw)
    {
        var s = DecodeString(raw);
        return s is null ? [] : s.Split('\x01', StringSplitOptions.RemoveEmptyEntries);
    }
}
