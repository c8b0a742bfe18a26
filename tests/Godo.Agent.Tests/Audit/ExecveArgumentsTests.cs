using System.Text;
using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Audit;

public sealed class ExecveArgumentsTests
{
    private static (string[] Argv, bool Malformed) Decode(params string[] bodies)
    {
        var x = new ExecveArguments();
        foreach (var b in bodies) x.Add(Encoding.Latin1.GetBytes(b));
        var argv = x.Build().ToArray();
        return (argv, x.Malformed);
    }

    private static string[] DecodeOk(params string[] bodies)
    {
        var (argv, malformed) = Decode(bodies);
        Assert.False(malformed);
        return argv;
    }

    [Fact]
    public void Simple_quoted_arguments() =>
        Assert.Equal(["/bin/true", "godo-checkpoint-1-web"], DecodeOk("argc=2 a0=\"/bin/true\" a1=\"godo-checkpoint-1-web\""));

    [Fact]
    public void Hex_argument_with_spaces() =>
        Assert.Equal(["sh", "-c", "sleep 100000"], DecodeOk("argc=3 a0=\"sh\" a1=\"-c\" a2=736C65657020313030303030"));

    [Fact]
    public void Hex_argument_with_double_quotes() =>
        Assert.Equal(["echo", "say \"hi\""], DecodeOk($"argc=2 a0=\"echo\" a1={AuditText.Hex("say \"hi\"")}"));

    [Fact]
    public void Hex_argument_with_utf8() =>
        Assert.Equal(["echo", "héllo wörld ✓"], DecodeOk($"argc=2 a0=\"echo\" a1={AuditText.Hex("héllo wörld ✓")}"));

    [Fact]
    public void Hex_argument_with_a_newline_and_tab() =>
        Assert.Equal(["printf", "a\tb\n"], DecodeOk($"argc=2 a0=\"printf\" a1={AuditText.Hex("a\tb\n")}"));

    [Fact]
    public void Empty_argument_is_kept() =>
        Assert.Equal(["prog", "", "last"], DecodeOk("argc=3 a0=\"prog\" a1=\"\" a2=\"last\""));

    [Fact]
    public void Argument_missing_below_argc_becomes_empty()
    {
        // Old kernels left empty arguments out, so argc exceeded the fields present.
        var (argv, _) = Decode("argc=3 a0=\"prog\" a2=\"last\"");
        Assert.Equal(["prog", "", "last"], argv);
    }

    [Fact]
    public void More_arguments_than_argc_is_malformed()
    {
        var (argv, malformed) = Decode("argc=1 a0=\"prog\" a1=\"extra\"");
        Assert.True(malformed);
        Assert.Equal(["prog"], argv);
    }

    [Fact]
    public void Split_argument_in_quoted_chunks() =>
        Assert.Equal(["cmd", "abcdefghij", "z"], DecodeOk("argc=3 a0=\"cmd\" a1_len=10 a1[0]=\"abcd\" a1[1]=\"efgh\" a1[2]=\"ij\" a2=\"z\""));

    [Fact]
    public void Split_argument_in_hex_chunks() =>
        Assert.Equal(["cmd", "hello world"], DecodeOk($"argc=2 a0=\"cmd\" a1_len=22 a1[0]={AuditText.Hex("hello ")} a1[1]={AuditText.Hex("world")}"));

    [Fact]
    public void Hex_chunks_splitting_a_utf8_character_join_before_decoding()
    {
        var bytes = Encoding.UTF8.GetBytes("✓✓"); // E2 9C 93 E2 9C 93
        var c0 = Convert.ToHexString(bytes, 0, 2);
        var c1 = Convert.ToHexString(bytes, 2, 4);
        Assert.Equal(["x", "✓✓"], DecodeOk($"argc=2 a0=\"x\" a1_len=12 a1[0]={c0} a1[1]={c1}"));
    }

    [Fact]
    public void Arguments_continue_in_further_records_without_argc() =>
        Assert.Equal(["a", "b", "c", "d"], DecodeOk("argc=4 a0=\"a\" a1=\"b\"", "a2=\"c\"", "a3=\"d\""));

    [Fact]
    public void Split_argument_continues_in_the_next_record() =>
        Assert.Equal(["cmd", "0123456789", "tail"],
            DecodeOk("argc=3 a0=\"cmd\" a1_len=10 a1[0]=\"01234\"", "a1[1]=\"56789\" a2=\"tail\""));

    [Fact]
    public void Argument_of_7500_bytes_or_more_is_hex_across_records()
    {
        var big = new string('q', 9000);
        var bodies = AuditText.ExecveBodies(["cat", big, "end"]);
        Assert.True(bodies.Count >= 2, "a 9000-byte argument cannot fit one record");
        Assert.Contains("a1_len=18000", bodies[0]);
        Assert.DoesNotContain("\"qqqq", string.Concat(bodies)); // never quoted
        Assert.DoesNotContain("argc", bodies[1]);
        Assert.Equal(["cat", big, "end"], DecodeOk([.. bodies]));
    }

    [Fact]
    public void Long_argument_list_spanning_several_records_round_trips()
    {
        var rng = new Random(7);
        var pieces = new[] { "plain", "with space", "quote\"d", "héllo wörld ✓", "", "tab\there" };
        var argv = new List<string> { "/usr/bin/prog" };
        for (var i = 0; i < 400; i++)
        {
            var p = pieces[rng.Next(pieces.Length)];
            argv.Add(i % 37 == 0 ? string.Concat(Enumerable.Repeat(p + "-", rng.Next(100, 800))) : p + i);
        }
        argv.Add(new string('Z', 7500)); // exactly at the limit: always hex
        var bodies = AuditText.ExecveBodies(argv);
        Assert.True(bodies.Count >= 3);
        Assert.Equal(argv, DecodeOk([.. bodies]));
    }

    [Fact]
    public void Bad_hex_argument_is_malformed_but_kept_raw()
    {
        var (argv, malformed) = Decode("argc=2 a0=\"x\" a1=ABZ");
        Assert.True(malformed);
        Assert.Equal("ABZ", argv[1]);
    }

    [Fact]
    public void Bad_argc_is_malformed_and_never_throws()
    {
        var (argv, malformed) = Decode("argc=-5 a0=\"x\"");
        Assert.True(malformed);
        Assert.Equal(["x"], argv);
        Assert.True(Decode("argc=99999999999 a0=\"x\"").Malformed);
    }

    [Fact]
    public void Huge_argument_index_is_malformed_and_never_allocates_it()
    {
        var (argv, malformed) = Decode("argc=1 a0=\"x\" a2000000000=\"y\"");
        Assert.True(malformed);
        Assert.Equal(["x"], argv);
    }
}
