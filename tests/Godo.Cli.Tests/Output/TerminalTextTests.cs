using System.Diagnostics;
using Godo.Cli.Output;

namespace Godo.Cli.Tests.Output;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("plain /usr/bin/sleep 100", "plain /usr/bin/sleep 100")]
    [InlineData("", "")]
    [InlineData("a\nb", @"a\nb")]
    [InlineData("a\tb\rc", @"a\tb\rc")]
    [InlineData("\u001b]0;title\u0007", @"\x1b]0;title\x07")]
    [InlineData("\u001b[2J\u001b[H", @"\x1b[2J\x1b[H")]
    [InlineData("nul\0del\u007f", @"nul\x00del\x7f")]
    [InlineData("c1 \u0085 \u009b31m", @"c1 \u0085 \u009b31m")]
    [InlineData("invoice\u202etxt.exe", @"invoice\u202etxt.exe")]
    [InlineData("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c", @"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c")]
    [InlineData("zero\u200b\u200c\u200d\u2060\ufeff", @"zero\u200b\u200c\u200d\u2060\ufeff")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    [InlineData("bad \ufffd byte", @"bad \ufffd byte")]                 // how the agent decodes invalid UTF-8
    [InlineData("tag \U000E0041", @"tag \U000e0041")]
    [InlineData(@"back\slash", @"back\\slash")]                         // an escape shown is always an escape made
    [InlineData("ünïcödé 日本語 😀 <b>&amp;</b>", "ünïcödé 日本語 😀 <b>&amp;</b>")]
    public void Escape_shows_every_unsafe_code_point_as_an_escape(string input, string shown) =>
        Assert.Equal(shown, TerminalText.Escape(input));

    [Theory]
    [InlineData("sleep", "sleep")]
    [InlineData("/usr/bin/env", "/usr/bin/env")]
    [InlineData("PATH=/bin:/usr/bin", "PATH=/bin:/usr/bin")]
    [InlineData("--user=a@b.c,d%e+f", "--user=a@b.c,d%e+f")]
    [InlineData("日本語", "日本語")]
    [InlineData("", "''")]
    [InlineData("hello world", "'hello world'")]
    [InlineData("it's", @"'it'\''s'")]
    [InlineData("$(rm -rf /)", "'$(rm -rf /)'")]
    [InlineData("`id`;*~", "'`id`;*~'")]
    [InlineData("a\\x1bb", @"'a\x1bb'")]                                 // a literal backslash, not an escape
    [InlineData("\"q\"", "'\"q\"'")]
    [InlineData("1000\n4242 root sshd", @"$'1000\n4242 root sshd'")]
    [InlineData("\u001b[31mred\u001b[0m", @"$'\x1b[31mred\x1b[0m'")]
    [InlineData("it's\u0007", @"$'it\'s\x07'")]
    [InlineData("back\\slash\n", @"$'back\\slash\n'")]
    [InlineData("txt\u202eexe", @"$'txt\u202eexe'")]
    [InlineData("emoji😀 \u200b", @"$'emoji😀 \u200b'")]
    public void Quote_writes_an_argument_as_sh_reads_it(string arg, string quoted) =>
        Assert.Equal(quoted, TerminalText.Quote(arg));

    /// <summary>JSON can carry a lone surrogate (xunit's theory data cannot, hence a fact).</summary>
    [Fact]
    public void A_lone_surrogate_is_escaped_as_its_code_unit()
    {
        Assert.Equal(@"lone \ud800 surrogate", TerminalText.Escape("lone " + '\ud800' + " surrogate"));
        Assert.Equal(@"$'\udc00x'", TerminalText.Quote('\udc00' + "x"));
    }

    [Fact]
    public void Command_quotes_each_argument_and_joins_them_with_spaces() =>
        Assert.Equal(@"sh -c 'echo hi' $'\x1b[2J' ''", TerminalText.Command(["sh", "-c", "echo hi", "\u001b[2J", ""]));

    /// <summary>What Quote writes, bash reads back as the same argument (ANSI-C quoting included).</summary>
    [Fact]
    public void Bash_reads_the_quoted_arguments_back_unchanged()
    {
        if (!File.Exists("/bin/bash")) return;
        string[] args = ["plain", "", "two words", "it's", "a\nb", "\u001b]0;x\u0007", "\u007f\u0085", "rlo\u202eend", "zw\u200b\ufeff", "back\\slash'", "日本語 😀", "$HOME `id`"];
        var utf8 = new System.Text.UTF8Encoding(false);
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardInput = true, StandardInputEncoding = utf8, StandardOutputEncoding = utf8 };
        psi.Environment["LC_ALL"] = "C.UTF-8";   // bash writes $'\u202e' in the locale's encoding
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("read -r line; eval \"set -- $line\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(TerminalText.Command(args) + "\n");
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(args, output.Split('\0')[..^1]);
    }

    [Fact]
    public void Cut_keeps_short_text_and_marks_how_much_it_left_out()
    {
        Assert.Equal("short", TerminalText.Cut("short", 10));
        var cut = TerminalText.Cut(new string('a', 1000), 40);
        Assert.Equal(40, cut.Length);
        Assert.EndsWith("…(+967)", cut);
        Assert.Equal(1000, cut.Length - "…(+967)".Length + 967);
    }

    [Fact]
    public void Cut_never_splits_a_surrogate_pair()
    {
        var cut = TerminalText.Cut("aaaaaaaaa😀😀😀😀😀😀😀😀😀😀😀😀😀", 17);
        Assert.False(char.IsHighSurrogate(cut[cut.IndexOf('…') - 1]));
    }
}
