using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Godo.Agent.Tests.Netlink;

/// <summary>A receiver sink that keeps every record as (type, serial, text) for assertions.</summary>
internal sealed partial class RecordCollector
{
    public sealed record Rec(int Type, ulong Serial, string Text);

    private readonly ConcurrentQueue<Rec> _records = new();

    [GeneratedRegex(@"^audit\(\d+\.\d+:(\d+)\):")]
    private static partial Regex Header();

    public void Sink(int type, ReadOnlySpan<byte> payload)
    {
        var text = Encoding.UTF8.GetString(payload);
        var m = Header().Match(text);
        _records.Enqueue(new Rec(type, m.Success ? ulong.Parse(m.Groups[1].Value) : 0, text));
    }

    public IReadOnlyList<Rec> Records => _records.ToArray();

    /// <summary>Waits for the EXECVE record containing <paramref name="marker"/> and returns all records of that event.</summary>
    public IReadOnlyList<Rec> WaitForExecEvent(string marker, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            var exec = _records.FirstOrDefault(r => r.Type == 1309 && r.Text.Contains(marker, StringComparison.Ordinal));
            if (exec is not null && _records.Any(r => r.Serial == exec.Serial && r.Type == 1320))
                return _records.Where(r => r.Serial == exec.Serial).ToArray();
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no complete execve event with '{marker}' in {timeout}; got {_records.Count} records: " +
                                   string.Join(" | ", _records.Take(20).Select(r => $"{r.Type}:{r.Text}")));
    }
}
