using System.Text;
using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Audit;

public sealed class AuditValueTests
{
    private static List<(string Key, string Value)> Fields(string body)
    {
        var list = new List<(string, string)>();
        var r = new AuditFieldReader(Encoding.Latin1.GetBytes(body));
        while (r.MoveNext()) list.Add((Encoding.Latin1.GetString(r.Key), Encoding.Latin1.GetString(r.RawValue)));
        return list;
    }

    [Fact]
    public void Field_reader_returns_keys_and_raw_values_in_order()
    {
        var f = Fields("arch=c000003e syscall=59 comm=\"env\" exe=2F746D702F612062");
        Assert.Equal([("arch", "c000003e"), ("syscall", "59"), ("comm", "\"env\""), ("exe", "2F746D702F612062")], f);
    }

    [Fact]
    public void Field_reader_keeps_spaces_inside_quotes()
    {
        var f = Fields("pid=1 msg='op=login acct=\"root\" res=success' uid=0");
        Assert.Equal(("msg", "'op=login acct=\"root\" res=success'"), f[1]);
        Assert.Equal(("uid", "0"), f[2]);
    }

    [Fact]
    public void Field_reader_skips_bare_words_and_extra_spaces()
    {
        var f = Fields("  word a=1   other b=2 trailing");
        Assert.Equal([("a", "1"), ("b", "2")], f);
    }

    [Fact]
    public void Field_reader_tolerates_an_unclosed_quote()
    {
        var f = Fields("a=1 comm=\"trunc");
        Assert.Equal(("comm", "\"trunc"), f[1]);
    }

    [Fact]
    public void Quoted_value_decodes_to_its_text() => Assert.Equal("sleep", AuditValue.DecodeString("\"sleep\""));

    [Fact]
    public void Uppercase_hex_value_decodes_to_text_with_spaces() =>
        Assert.Equal("my comm", AuditValue.DecodeString(AuditText.Hex("my comm")));

    [Fact]
    public void Hex_value_with_utf8_decodes_to_unicode()
    {
        Assert.Equal("/opt/café/bin/x y", AuditValue.DecodeString("2F6F70742F636166C3A92F62696E2F782079"));
        Assert.Equal("héllo wörld ✓", AuditValue.DecodeString(AuditText.Hex("héllo wörld ✓")));
    }

    [Fact]
    public void Hex_value_with_a_double_quote_decodes()
    {
        Assert.Equal("say \"hi\"", AuditValue.DecodeString(AuditText.Hex("say \"hi\"")));
    }

    [Fact]
    public void Null_value_decodes_to_null()
    {
        Assert.Null(AuditValue.DecodeString("(null)"));
        Assert.Null(AuditValue.DecodeString("(none)"));
    }

    [Fact]
    public void Invalid_utf8_in_hex_never_throws() =>
        Assert.Equal("a\uFFFDb", AuditValue.DecodeString("61FF62"));

    [Fact]
    public void Value_that_is_neither_quoted_nor_hex_comes_back_raw()
    {
        Assert.Equal("xyz", AuditValue.DecodeString("xyz"));
        Assert.Equal("ABC", AuditValue.DecodeString("ABC")); // odd length: not hex
    }

    [Fact]
    public void Single_key_is_decoded() => Assert.Equal(["godo"], AuditValue.DecodeKeys("\"godo\""u8));

    [Fact]
    public void Null_key_gives_no_keys() => Assert.Empty(AuditValue.DecodeKeys("(null)"u8));

    [Fact]
    public void Several_keys_are_hex_joined_by_0x01() =>
        Assert.Equal(["godo", "exec_watch", "k 3"], AuditValue.DecodeKeys(Encoding.ASCII.GetBytes(AuditText.Hex("godo\u0001exec_watch\u0001k 3"))));

    [Fact]
    public void Hex_register_values_parse()
    {
        Assert.True(AuditValue.TryParseHex("1200011"u8, out var v));
        Assert.Equal(0x1200011UL, v);
        Assert.True(AuditValue.TryParseHex("ffffffffffffffff"u8, out v));
        Assert.Equal(ulong.MaxValue, v);
        Assert.False(AuditValue.TryParseHex("zz"u8, out _));
        Assert.False(AuditValue.TryParseHex("12 4"u8, out _));         // a value is all digits or it is not one
        Assert.False(AuditValue.TryParseHex("10000000000000000"u8, out _)); // 17 digits overflow
    }

    [Fact]
    public void Decimal_values_parse_whole_with_their_sign()
    {
        Assert.True(AuditValue.TryParseLong("-2"u8, out var exit));
        Assert.Equal(-2, exit);
        Assert.True(AuditValue.TryParseInt("24555"u8, out var pid));
        Assert.Equal(24555, pid);
        Assert.False(AuditValue.TryParseInt("245x"u8, out _));
        Assert.False(AuditValue.TryParseInt("4294967295"u8, out _));
        Assert.True(AuditValue.TryParseUInt("4294967295"u8, out var uid));
        Assert.Equal(uint.MaxValue, uid);
    }

    [Fact]
    public void Append_bytes_takes_quoted_text_and_hex()
    {
        var buf = new List<byte>();
        Assert.True(AuditValue.AppendBytes("\"ab\""u8, buf));
        Assert.True(AuditValue.AppendBytes("6364"u8, buf));
        Assert.Equal("abcd"u8.ToArray(), buf.ToArray());
        Assert.False(AuditValue.AppendBytes("636"u8, buf));
        Assert.False(AuditValue.AppendBytes("6Z"u8, buf));
    }
}
