using System.Buffers;
using System.Globalization;
using System.Text;

namespace Godo.Cli.Output;

/// <summary>
/// Text from the fleet made safe for a terminal. Any container user chooses argv (and comm, exe, cwd), so nothing
/// from the API reaches the terminal raw: controls, bidi overrides and zero-width characters would move the cursor,
/// set the window title, hide text or forge whole lines. Everything is escaped into printable ASCII instead.
/// </summary>
public static class TerminalText
{
    /// <summary>
    /// <paramref name="text"/> on one line with every unsafe code point escaped: <c>\n</c>, <c>\t</c>, <c>\r</c>,
    /// <c>\x1b</c> (C0, DEL), <c>\u0085</c> (C1, bidi, zero-width, other format characters, separators, lone
    /// surrogates, U+FFFD: the agent decodes invalid UTF-8 to it), <c>\U000e0001</c> beyond the BMP, and <c>\\</c>,
    /// so that an escape shown always means an escape made.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!NeedsEscape(text, backslash: true)) return text;
        var sb = new StringBuilder(text.Length + 16);
        foreach (var (rune, lone) in Runes(text))
        {
            if (lone is { } s) { AppendCodeUnit(sb, s); continue; }
            if (rune.Value == '\\') sb.Append(@"\\");
            else if (IsUnsafe(rune)) AppendEscape(sb, rune);
            else sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    /// <summary>
    /// One argument as POSIX sh reads it back: a plain word as is; otherwise single-quoted (<c>'\''</c> for a quote);
    /// with anything unprintable, bash's ANSI-C quoting (<c>$'a\nb\x1b'</c>), which sh, bash and zsh all accept.
    /// </summary>
    public static string Quote(string? arg)
    {
        if (string.IsNullOrEmpty(arg)) return "''";
        if (arg.All(IsPlain)) return arg;
        if (!NeedsEscape(arg, backslash: false)) return "'" + arg.Replace("'", @"'\''") + "'";
        var sb = new StringBuilder(arg.Length + 16).Append("$'");
        foreach (var (rune, lone) in Runes(arg))
        {
            if (lone is { } s) AppendCodeUnit(sb, s);
            else if (rune.Value is '\\' or '\'') sb.Append('\\').Append((char)rune.Value);
            else if (IsUnsafe(rune)) AppendEscape(sb, rune);
            else sb.Append(rune.ToString());
        }
        return sb.Append('\'').ToString();
    }

    /// <summary>A command line: every argument quoted, joined by spaces.</summary>
    public static string Command(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));

    /// <summary>
    /// <paramref name="shown"/> (already escaped) cut to <paramref name="width"/> characters, the cut marked with
    /// <c>…</c> and how many characters were left out: <c>sleep 100 aaaa…(+2096957)</c>.
    /// </summary>
    public static string Cut(string shown, int width)
    {
        if (shown.Length <= width) return shown;
        var keep = width - Marker(shown.Length).Length;
        keep = Math.Max(1, width - Marker(shown.Length - keep).Length);   // the count left out may take a digit less
        if (char.IsHighSurrogate(shown[keep - 1])) keep--;   // never half a pair
        return shown[..keep] + Marker(shown.Length - keep);
    }

    private static string Marker(int cut) => $"…(+{cut})";

    /// <summary>Columns of the terminal standard output goes to; 200 when it is not a terminal (a pipe, a file).</summary>
    public static int OutputWidth()
    {
        if (Console.IsOutputRedirected) return 200;
        try { return Console.WindowWidth is > 0 and var w ? w : 200; }
        catch (IOException) { return 200; }
    }

    /// <summary>A code point a terminal could act on, hide, or show as something else.</summary>
    public static bool IsUnsafe(Rune r) =>
        r.Value == 0xFFFD || Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse;

    /// <summary>Characters sh takes literally outside quotes (non-ASCII letters and digits too: shells read them as such).</summary>
    private static bool IsPlain(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-' or '.' or '/' or ',' or ':' or '@' or '%' or '+' or '='
        || (c > 0x7f && char.IsLetterOrDigit(c) && !char.IsSurrogate(c));

    private static bool NeedsEscape(string text, bool backslash)
    {
        foreach (var (rune, lone) in Runes(text))
            if (lone is not null || IsUnsafe(rune) || (backslash && rune.Value == '\\')) return true;
        return false;
    }

    /// <summary>The code points of <paramref name="text"/>; a lone surrogate (JSON can carry one) comes as itself.</summary>
    private static IEnumerable<(Rune Rune, char? Lone)> Runes(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) == OperationStatus.Done) yield return (rune, null);
            else { used = 1; yield return (default, text[i]); }
            i += used;
        }
    }

    private static void AppendEscape(StringBuilder sb, Rune r)
    {
        switch (r.Value)
        {
            case '\n': sb.Append(@"\n"); break;
            case '\t': sb.Append(@"\t"); break;
            case '\r': sb.Append(@"\r"); break;
            case < 0x80: sb.Append(@"\x").Append(r.Value.ToString("x2", CultureInfo.InvariantCulture)); break;
            case < 0x10000: sb.Append(@"\u").Append(r.Value.ToString("x4", CultureInfo.InvariantCulture)); break;
            default: sb.Append(@"\U").Append(r.Value.ToString("x8", CultureInfo.InvariantCulture)); break;
        }
    }

    private static void AppendCodeUnit(StringBuilder sb, char c) => sb.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
}

/// <summary>A table cell already made safe (a quoted command line): shown as is, not escaped again.</summary>
public readonly record struct Shown(string Text)
{
    public override string ToString() => Text;
}
