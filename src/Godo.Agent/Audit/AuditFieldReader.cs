using System.Runtime.CompilerServices;
using System.Buffers.Text;
using System.Text;

namespace Godo.Agent.Audit;

/// <summary>
/// Walks the <c>k=v</c> pairs of a record body (raw bytes) without allocating. Values come back raw:
/// <c>"quoted"</c> text keeps its quotes so the caller can tell it from the kernel's hex encoding.
/// </summary>
public ref struct AuditFieldReader
{
    private ReadOnlySpan<byte> _rest;

    public AuditFieldReader(ReadOnlySpan<byte> body) { _rest = body; Key = default; RawValue = default; }

    public ReadOnlySpan<byte> Key { get; private set; }
    public ReadOnlySpan<byte> RawValue { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public bool MoveNext()
    {
        while (true)
        {
            // A plain loop: TrimStart's general code was a visible share of a replay's field reading.
            var skip = 0;
            while (skip < _rest.Length && _rest[skip] == (byte)' ') skip++;
            if (skip == _rest.Length) { _rest = default; return false; }
            _rest = _rest[skip..];
            var eq = _rest.IndexOfAny((byte)'=', (byte)' ');
            if (eq < 0) { _rest = default; return false; }
            if (_rest[eq] == (byte)' ') { _rest = _rest[(eq + 1)..]; continue; } // a bare word: skip it
            Key = _rest[..eq];
            var v = _rest[(eq + 1)..];
            int len;
            if (v.Length > 0 && (v[0] == (byte)'"' || v[0] == (byte)'\''))
            {
                var close = v[1..].IndexOf(v[0]);
                len = close < 0 ? v.Length : close + 2;
            }
            else
            {
                len = v.IndexOf((byte)' ');
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
    public static string? DecodeString(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty) return string.Empty;
        if (raw[0] == (byte)'"' || raw[0] == (byte)'\'')
            return Encoding.Latin1.GetString(raw.Length >= 2 && raw[^1] == raw[0] ? raw[1..^1] : raw[1..]);
        if (raw.SequenceEqual("(null)"u8) || raw.SequenceEqual("(none)"u8)) return null;
        return TryDecodeHex(raw, out var s) ? s : Encoding.Latin1.GetString(raw);
    }

    /// <summary>The same for a value held as text (a PROCTITLE kept raw; audit text is ASCII, so each char is one byte).</summary>
    public static string? DecodeString(ReadOnlySpan<char> raw)
    {
        var bytes = raw.Length <= 1024 ? stackalloc byte[raw.Length] : new byte[raw.Length];
        Encoding.Latin1.GetBytes(raw, bytes);
        return DecodeString(bytes);
    }

    /// <summary>Decodes hex into bytes, then UTF-8 text (invalid sequences become U+FFFD, never an exception).</summary>
    public static bool TryDecodeHex(ReadOnlySpan<byte> hex, out string text)
    {
        text = string.Empty;
        if (hex.Length == 0 || (hex.Length & 1) != 0) return false;
        var bytes = hex.Length <= 1024 ? stackalloc byte[hex.Length / 2] : new byte[hex.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            var hi = HexNibble(hex[2 * i]); var lo = HexNibble(hex[2 * i + 1]);
            if ((hi | lo) < 0) return false;
            bytes[i] = (byte)(hi << 4 | lo);
        }
        text = Encoding.UTF8.GetString(bytes);
        return true;
    }

    /// <summary>Appends the bytes a raw value stands for (quoted text or hex) to a buffer.</summary>
    public static bool AppendBytes(ReadOnlySpan<byte> raw, List<byte> into)
    {
        if (raw.Length > 0 && raw[0] == (byte)'"')
        {
            var inner = raw.Length >= 2 && raw[^1] == (byte)'"' ? raw[1..^1] : raw[1..];
            foreach (var b in inner) into.Add(b);
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

    private static int HexNibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>a0..a3 and arch are printed in lowercase hex without 0x.</summary>
    public static bool TryParseHex(ReadOnlySpan<byte> raw, out ulong value) =>
        Utf8Parser.TryParse(raw, out value, out var used, 'x') && used == raw.Length;

    /// <summary>A decimal field, whole (a value with anything after its digits is not a number).</summary>
    public static bool TryParseInt(ReadOnlySpan<byte> raw, out int value) =>
        Utf8Parser.TryParse(raw, out value, out var used) && used == raw.Length;

    public static bool TryParseLong(ReadOnlySpan<byte> raw, out long value) =>
        Utf8Parser.TryParse(raw, out value, out var used) && used == raw.Length;

    public static bool TryParseUInt(ReadOnlySpan<byte> raw, out uint value) =>
        Utf8Parser.TryParse(raw, out value, out var used) && used == raw.Length;

    /// <summary>The key field may hold several keys joined by 0x01 (hex-encoded then).</summary>
    public static IReadOnlyList<string> DecodeKeys(ReadOnlySpan<byte> raw)
    {
        var s = DecodeString(raw);
        return s is null ? [] : s.Split('\x01', StringSplitOptions.RemoveEmptyEntries);
    }
}
