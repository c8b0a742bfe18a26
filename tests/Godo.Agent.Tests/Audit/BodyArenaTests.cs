using System.Text;
using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Audit;

public sealed class BodyArenaTests
{
    [Fact]
    public void Every_body_keeps_its_own_bytes_across_chunk_boundaries()
    {
        var arena = new BodyArena(chunkSize: 100);
        var rng = new Random(3);
        var bodies = Enumerable.Range(0, 500).Select(i => Encoding.ASCII.GetBytes($"pid={i} " + new string('x', rng.Next(0, 180)))).ToList();
        var kept = bodies.Select(b => arena.Copy(b)).ToList();
        for (var i = 0; i < bodies.Count; i++) Assert.Equal(bodies[i], kept[i].ToArray());
    }

    [Fact]
    public void An_empty_body_takes_no_room() => Assert.True(new BodyArena().Copy(ReadOnlySpan<byte>.Empty).IsEmpty);

    [Fact]
    public void Parsed_records_point_into_the_arena_and_read_back_exactly()
    {
        var arena = new BodyArena(chunkSize: 256);
        var lines = Enumerable.Range(0, 50).Select(i => $"type=CWD msg=audit(1700000000.{i:000}:{i}): cwd=\"/srv/{i}\"").ToList();
        var records = lines.Select(l =>
        {
            Assert.Equal(MalformedReason.None, AuditLineParser.TryParseLine(Encoding.ASCII.GetBytes(l), out var r, arena));
            return r;
        }).ToList();
        for (var i = 0; i < records.Count; i++) Assert.Equal($"cwd=\"/srv/{i}\"", records[i].BodyText);
    }
}

public sealed class DecodedStringsTests
{
    [Fact]
    public void A_repeated_value_comes_back_as_the_same_string()
    {
        var a = DecodedStrings.Decode("\"/usr/bin/runc\""u8);
        var b = DecodedStrings.Decode(Encoding.ASCII.GetBytes("\"/usr/bin/runc\""));
        Assert.Equal("/usr/bin/runc", a);
        Assert.Same(a, b);
    }

    [Fact]
    public void Many_different_values_each_decode_to_their_own_text()
    {
        // Far more values than slots: collisions replace slots, never return another value's text.
        for (var round = 0; round < 2; round++)
            for (var i = 0; i < 5000; i++)
            {
                var text = $"/opt/app-{i}/bin";
                Assert.Equal(text, DecodedStrings.Decode(Encoding.ASCII.GetBytes($"\"{text}\"")));
                Assert.Equal(text + " x", DecodedStrings.Decode(Encoding.ASCII.GetBytes(Convert.ToHexString(Encoding.UTF8.GetBytes(text + " x")))));
            }
        Assert.Null(DecodedStrings.Decode("(null)"u8));
    }
}
