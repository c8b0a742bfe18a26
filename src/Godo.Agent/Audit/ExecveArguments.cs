using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;

namespace Godo.Agent.Audit;

/// <summary>
/// Rebuilds argv from the EXECVE records of one event. The kernel writes each argument as
/// <c>aN="text"</c> or <c>aN=HEX</c>; one too long for the record's budget becomes
/// <c>aN_len=L aN[0]=… aN[1]=…</c>, and the list goes on in further EXECVE records (only the first has argc).
/// </summary>
public sealed class ExecveArguments
{
    private const int MaxArgs = 1 << 20;
    private static readonly UTF8Encoding Utf8 = new(false, false);

    // Each slot holds a whole argument (string) or the bytes of a split one gathered so far (List<byte>).
    private readonly List<object?> _args = new();
    private int _argc = -1;
    public bool Malformed { get; private set; }

    public void Add(ReadOnlySpan<byte> body)
    {
        var reader = new AuditFieldReader(body);
        while (reader.MoveNext())
        {
            var key = reader.Key;
            if (key.SequenceEqual("argc"u8))
            {
                if (!AuditValue.TryParseInt(reader.RawValue, out _argc) || _argc < 0 || _argc > MaxArgs) { Malformed = true; _argc = -1; }
                continue;
            }
            if (key.Length < 2 || key[0] != (byte)'a' || !char.IsAsciiDigit((char)key[1])) continue;
            var digits = 1;
            while (digits < key.Length && char.IsAsciiDigit((char)key[digits])) digits++;
            if (!AuditValue.TryParseInt(key[1..digits], out var index) || index >= MaxArgs) { Malformed = true; continue; }
            var suffix = key[digits..];
            if (suffix.IsEmpty)
            {
                var text = DecodeWhole(reader.RawValue);
                if (text is null) Malformed = true;
                Set(index, text ?? Encoding.Latin1.GetString(reader.RawValue));
            }
            else if (suffix.SequenceEqual("_len"u8)) Chunks(index);
            else if (suffix[0] == (byte)'[')
            {
                if (!AuditValue.AppendBytes(reader.RawValue, Chunks(index))) Malformed = true;
            }
        }
    }

    private static string? DecodeWhole(ReadOnlySpan<byte> raw)
    {
        if (raw.Length > 0 && raw[0] == (byte)'"') return raw.Length >= 2 && raw[^1] == (byte)'"' ? Encoding.Latin1.GetString(raw[1..^1]) : null;
        return AuditValue.TryDecodeHex(raw, out var s) ? s : raw.IsEmpty ? string.Empty : null;
    }

    private void Set(int index, object value)
    {
        while (_args.Count <= index) _args.Add(null);
        _args[index] = value;
    }

    private List<byte> Chunks(int index)
    {
        while (_args.Count <= index) _args.Add(null);
        if (_args[index] is not List<byte> bytes) _args[index] = bytes = new List<byte>();
        return bytes;
    }

    public ImmutableArray<string> Build()
    {
        var count = _argc >= 0 ? _argc : _args.Count;
        if (_args.Count > count) Malformed = true;
        var b = ImmutableArray.CreateBuilder<string>(count);
        for (var i = 0; i < count; i++)
            b.Add(i < _args.Count ? _args[i] switch
            {
                string s => s,
                List<byte> bytes => Utf8.GetString(CollectionsMarshal.AsSpan(bytes)),
                _ => string.Empty,
            } : string.Empty);
        return b.MoveToImmutable();
    }
}
