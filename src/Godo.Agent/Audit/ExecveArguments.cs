using System.Collections.Immutable;
using System.Text;

namespace Godo.Agent.Audit;

/// <summary>
/// Rebuilds argv from the EXECVE records of one event. The kernel writes each argument as
/// <c>aN="text"</c> or <c>aN=HEX</c>; one too long for the record's budget becomes
/// <c>aN_len=L aN[0]=… aN[1]=…</c>, and the list goes on in further EXECVE records (only the first has argc).
/// </summary>
public sealed class ExecveArguments
{
    private readonly SortedDictionary<int, List<byte>> _args = new();
    private int _argc = -1;
    public bool Malformed { get; private set; }

    public void Add(string body)
    {
        var reader = new AuditFieldReader(body);
        while (reader.MoveNext())
        {
            var key = reader.Key;
            if (key.SequenceEqual("argc"))
            {
                if (!int.TryParse(reader.RawValue, out _argc) || _argc < 0 || _argc > 1_000_000) { Malformed = true; _argc = -1; }
                continue;
            }
            if (key.Length < 2 || key[0] != 'a' || !char.IsAsciiDigit(key[1])) continue;
            var digits = 1;
            while (digits < key.Length && char.IsAsciiDigit(key[digits])) digits++;
            if (!int.TryParse(key[1..digits], out var index) || index > 1_000_000) { Malformed = true; continue; }
            var suffix = key[digits..];
            if (suffix.SequenceEqual("_len")) { Get(index); continue; } // chunks follow as aN[k]
            if (suffix.IsEmpty || suffix[0] == '[')
            {
                if (!AuditValue.AppendBytes(reader.RawValue, Get(index))) Malformed = true;
            }
        }
    }

    private List<byte> Get(int index)
    {
        if (!_args.TryGetValue(index, out var list)) _args[index] = list = new List<byte>();
        return list;
    }

    public ImmutableArray<string> Build()
    {
        var count = _argc >= 0 ? _argc : (_args.Count == 0 ? 0 : _args.Keys.Max() + 1);
        if (_argc >= 0 && _args.Count > 0 && _args.Keys.Max() >= _argc) Malformed = true;
        var b = ImmutableArray.CreateBuilder<string>(count);
        var utf8 = new UTF8Encoding(false, false);
        for (var i = 0; i < count; i++)
            b.Add(_args.TryGetValue(i, out var bytes) ? utf8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)) : string.Empty);
        return b.MoveToImmutable();
    }
}
