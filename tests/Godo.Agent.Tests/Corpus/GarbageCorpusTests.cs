using System.Text;
using System.Text.RegularExpressions;

namespace Godo.Agent.Tests.Corpus;

/// <summary>
/// The docker-basic corpus with 1% garbage lines mixed in (in memory, seeded): random bytes, torn copies of real
/// records (the first part of a line) and 1 MB lines. Every checkpoint must still match.
/// A torn copy is written either just before its line (a writer that died mid-line and wrote the record again),
/// or just after it, a duplicate whose cut last value comes last. After-copies of EXECVE lines are left out: a
/// cut duplicate of an argument replaces the complete one (a known limitation of ExecveArguments).
/// </summary>
public sealed partial class GarbageCorpusTests
{
    /// <summary>
    /// The record header per the log format (type=NAME msg=audit(S.MS:SERIAL):): a torn line that still holds all of
    /// it is a valid record with fewer fields, which no parser can tell from a real one.
    /// </summary>
    [GeneratedRegex(@"^type=[A-Z_]+ msg=audit\(\d+\.\d+:\d+\):")]
    private static partial Regex CompleteHeader();

    private sealed record Mixed(byte[] Log, int Original, int RandomLines, int Oversized, int Torn, int TornWithHeader);

    /// <param name="tornAfter">write a torn copy after its line instead of before it (EXECVE lines are then not torn).</param>
    private static Mixed Mix(string[] lines, int seed, bool tornAfter)
    {
        var rng = new Random(seed);
        var ms = new MemoryStream();
        int random = 0, oversized = 0, torn = 0, tornWithHeader = 0;
        foreach (var line in lines)
        {
            if (tornAfter)
            {
                ms.Write(Encoding.ASCII.GetBytes(line));
                ms.WriteByte((byte)'\n');
            }
            if (rng.NextDouble() < 0.01)
            {
                var kind = rng.Next(10);
                if (kind < 4)
                {
                    var bytes = new byte[rng.Next(1, 400)];
                    rng.NextBytes(bytes);
                    for (var i = 0; i < bytes.Length; i++) if (bytes[i] is (byte)'\n' or (byte)'\r') bytes[i] = 0x00;
                    ms.Write(bytes);
                    random++;
                }
                else if (kind < 9 && tornAfter && line.StartsWith("type=EXECVE ", StringComparison.Ordinal))
                {
                    continue; // no garbage for this line
                }
                else if (kind < 9 && line.Length > 1)
                {
                    var half = line[..rng.Next(1, line.Length)];
                    ms.Write(Encoding.ASCII.GetBytes(half));
                    torn++;
                    if (CompleteHeader().IsMatch(half)) tornWithHeader++;
                }
                else
                {
                    var size = (1 << 20) + rng.Next(0, 1000);
                    var prefix = rng.Next(2) == 0 ? line[..Math.Min(line.Length, 60)] : "";
                    ms.Write(Encoding.ASCII.GetBytes(prefix));
                    var fill = new byte[size];
                    rng.NextBytes(fill);
                    for (var i = 0; i < fill.Length; i++) fill[i] = (byte)(0x21 + fill[i] % 94);
                    ms.Write(fill);
                    oversized++;
                }
                ms.WriteByte((byte)'\n');
            }
            if (!tornAfter)
            {
                ms.Write(Encoding.ASCII.GetBytes(line));
                ms.WriteByte((byte)'\n');
            }
        }
        return new Mixed(ms.ToArray(), lines.Length, random, oversized, torn, tornWithHeader);
    }

    [Theory]
    [InlineData(20251129, false)]
    [InlineData(7, false)]
    [InlineData(20251129, true)]
    [InlineData(7, true)]
    public async Task One_percent_garbage_leaves_every_checkpoint_matching_and_is_counted(int seed, bool tornAfter)
    {
        var dir = CorpusCheckpoints.DataDir("docker-basic");
        var expected = CorpusCheckpoints.LoadSnapshots(dir);
        var lines = File.ReadAllLines(Path.Combine(dir, "audit.log"));
        var mixed = Mix(lines, seed, tornAfter);
        var garbage = mixed.RandomLines + mixed.Oversized + mixed.Torn;
        Assert.InRange(garbage, lines.Length / 200, lines.Length / 50); // about 1%
        Assert.True(mixed.RandomLines > 0 && mixed.Oversized > 0 && mixed.Torn > 0 && mixed.TornWithHeader > 0);

        var (results, replay) = await CorpusCheckpoints.RunAsync(new MemoryStream(mixed.Log), expected);

        Assert.Equal(expected.Count, results.Count);
        Assert.True(results.All(r => r.Ok), CorpusCheckpoints.Describe(results.Where(r => !r.Ok)));
        Assert.Equal(mixed.Original + garbage, replay.Stats.Lines);
        // Random bytes and oversized lines can never parse; a torn line parses exactly when its header is whole.
        Assert.True(replay.Stats.Malformed >= mixed.RandomLines + mixed.Oversized);
        Assert.Equal(mixed.RandomLines + mixed.Oversized + (mixed.Torn - mixed.TornWithHeader), replay.Stats.Malformed);
        Assert.Equal(mixed.Original + mixed.TornWithHeader, replay.Stats.Records);
        Assert.Equal(mixed.Oversized, replay.Stats.All().Single(kv => kv.Key == "malformed.oversized").Value);
    }
}
