using System.Text;
using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Audit;

public sealed class AuditLineParserTests
{
    private const string SyscallLine =
        "type=SYSCALL msg=audit(1795921864.791:39505): arch=c000003e syscall=59 success=yes exit=0 a0=55c2b0096a60 a1=55c2b00902c0 a2=55c2b0091360 a3=8 items=2 ppid=24510 pid=24554 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"env\" exe=\"/usr/bin/env\" key=\"godo\"";

    private static MalformedReason Parse(string line, out AuditRecord record) =>
        AuditLineParser.TryParseLine(Encoding.Latin1.GetBytes(line), out record);

    private static AuditRecord ParseOk(string line)
    {
        Assert.Equal(MalformedReason.None, Parse(line, out var r));
        return r;
    }

    [Fact]
    public void Named_type_header_gives_type_time_serial_and_body()
    {
        var r = ParseOk(SyscallLine);
        Assert.Equal(AuditRecordType.Syscall, r.Type);
        Assert.Equal(1795921864791L, r.TimeMs);
        Assert.Equal(39505L, r.Serial);
        Assert.NotNull(r.BodyText);
        Assert.StartsWith("arch=c000003e syscall=59 ", r.BodyText);
        Assert.EndsWith("key=\"godo\"", r.BodyText);
    }

    [Fact]
    public void Numeric_type_is_accepted()
    {
        var r = ParseOk("type=1300 msg=audit(1795921864.791:39505): arch=c000003e syscall=57 pid=5");
        Assert.Equal(AuditRecordType.Syscall, r.Type);
        Assert.Equal(39505L, r.Serial);
        Assert.Equal("arch=c000003e syscall=57 pid=5", r.BodyText);
    }

    [Fact]
    public void Unknown_bracket_form_gives_the_numeric_type()
    {
        var r = ParseOk("type=UNKNOWN[1334] msg=audit(1795921864.791:7): prog-id=12 op=LOAD");
        Assert.Equal(1334, r.Type);
        Assert.Equal(7L, r.Serial);
    }

    [Fact]
    public void Node_prefix_is_skipped()
    {
        var r = ParseOk("node=host-a.example " + SyscallLine);
        Assert.Equal(AuditRecordType.Syscall, r.Type);
        Assert.Equal(39505L, r.Serial);
        Assert.StartsWith("arch=", r.BodyText);
    }

    [Fact]
    public void Carriage_return_at_the_end_is_ignored()
    {
        var r = ParseOk(SyscallLine + "\r");
        Assert.EndsWith("key=\"godo\"", r.BodyText);
    }

    [Fact]
    public void Netlink_payload_takes_the_type_from_the_header_and_ignores_nul_padding()
    {
        var payload = Encoding.ASCII.GetBytes("audit(1795921864.791:39505): argc=2 a0=\"sleep\" a1=\"2\"\0\0\0\0");
        Assert.Equal(MalformedReason.None, AuditLineParser.TryParsePayload(AuditRecordType.Execve, payload, out var r));
        Assert.Equal(AuditRecordType.Execve, r.Type);
        Assert.Equal(1795921864791L, r.TimeMs);
        Assert.Equal(39505L, r.Serial);
        Assert.Equal("argc=2 a0=\"sleep\" a1=\"2\"", r.BodyText);
    }

    [Fact]
    public void Netlink_payload_ending_in_a_newline_is_accepted()
    {
        var payload = Encoding.ASCII.GetBytes("audit(1795921864.791:39506): cwd=\"/\"\n");
        Assert.Equal(MalformedReason.None, AuditLineParser.TryParsePayload(AuditRecordType.Cwd, payload, out var r));
        Assert.Equal("cwd=\"/\"", r.BodyText);
    }

    [Fact]
    public void Netlink_eoe_payload_with_empty_body_is_a_record()
    {
        var payload = Encoding.ASCII.GetBytes("audit(1795921864.791:39505): \0");
        Assert.Equal(MalformedReason.None, AuditLineParser.TryParsePayload(AuditRecordType.Eoe, payload, out var r));
        Assert.Equal(AuditRecordType.Eoe, r.Type);
        Assert.Equal(39505L, r.Serial);
    }

    [Fact]
    public void Millisecond_part_with_fewer_or_more_digits_is_scaled_to_milliseconds()
    {
        Assert.Equal(1000_500L, ParseOk("type=EOE msg=audit(1000.5:1): ").TimeMs);
        Assert.Equal(1000_123L, ParseOk("type=EOE msg=audit(1000.123456:1): ").TimeMs);
    }

    [Fact]
    public void Enriched_format_suffix_after_group_separator_is_dropped()
    {
        var r = ParseOk(SyscallLine + "\x1d" + "ARCH=x86_64 SYSCALL=execve AUID=\"unset\" UID=\"root\"");
        Assert.EndsWith("key=\"godo\"", r.BodyText);
        Assert.DoesNotContain("ARCH=", r.BodyText);
    }

    [Fact]
    public void Enriched_suffix_holding_utf8_names_does_not_make_the_line_binary()
    {
        var line = Encoding.Latin1.GetBytes(SyscallLine + "\x1d").Concat(Encoding.UTF8.GetBytes("UID=\"jürgen\"")).ToArray();
        Assert.Equal(MalformedReason.None, AuditLineParser.TryParseLine(line, out var r));
        Assert.EndsWith("key=\"godo\"", r.BodyText);
    }

    [Fact]
    public void Records_the_tree_does_not_need_keep_no_body()
    {
        var r = ParseOk("type=PATH msg=audit(1795921864.791:39505): item=0 name=\"/usr/bin/env\" inode=247444");
        Assert.Equal(AuditRecordType.Path, r.Type);
        Assert.Null(r.BodyText);
    }

    [Theory]
    [InlineData("type=SYSCALL")]
    [InlineData("type=CWD")]
    [InlineData("type=EXECVE")]
    [InlineData("type=OBJ_PID")]
    [InlineData("type=PROCTITLE")]
    public void Records_the_tree_needs_keep_their_body(string type)
    {
        var r = ParseOk(type + " msg=audit(1.000:1): x=1");
        Assert.Equal("x=1", r.BodyText);
    }

    // ---- malformed ------------------------------------------------------------------------------

    [Fact]
    public void Empty_line_is_reported_as_empty()
    {
        Assert.Equal(MalformedReason.Empty, AuditLineParser.TryParseLine(ReadOnlySpan<byte>.Empty, out _));
        Assert.Equal(MalformedReason.Empty, Parse("\r", out _));
    }

    [Fact]
    public void Line_without_type_is_rejected()
    {
        Assert.Equal(MalformedReason.NoType, Parse("hello world", out _));
        Assert.Equal(MalformedReason.NoType, Parse("node=lonely", out _));
        Assert.Equal(MalformedReason.NoType, Parse("type=SYSCALL", out _));
    }

    [Fact]
    public void Unknown_type_name_is_rejected()
    {
        Assert.Equal(MalformedReason.UnknownType, Parse("type=NO_SUCH_THING msg=audit(1.000:1): x=1", out _));
        Assert.Equal(MalformedReason.UnknownType, Parse("type=" + new string('A', 100) + " msg=audit(1.000:1): x=1", out _));
    }

    [Fact]
    public void Missing_msg_is_rejected()
    {
        Assert.Equal(MalformedReason.NoHeader, Parse("type=SYSCALL arch=c000003e syscall=59", out _));
        Assert.Equal(MalformedReason.NoHeader, Parse("type=SYSCALL msg=something(1.0:1): x", out _));
    }

    [Fact]
    public void Missing_serial_is_rejected()
    {
        Assert.Equal(MalformedReason.BadSerial, Parse("type=SYSCALL msg=audit(1795921864.791): arch=c000003e", out _));
        Assert.Equal(MalformedReason.BadSerial, Parse("type=SYSCALL msg=audit(1795921864.791:): arch=c000003e", out _));
        Assert.Equal(MalformedReason.BadSerial, Parse("type=SYSCALL msg=audit(1795921864.791:-4): arch=c000003e", out _));
    }

    [Fact]
    public void Bad_timestamp_is_rejected()
    {
        Assert.Equal(MalformedReason.BadTimestamp, Parse("type=SYSCALL msg=audit(abc.791:1): x=1", out _));
        Assert.Equal(MalformedReason.BadTimestamp, Parse("type=SYSCALL msg=audit(1795921864.:1): x=1", out _));
    }

    [Theory]
    [InlineData("type=SYSCALL msg=audit(")]
    [InlineData("type=SYSCALL msg=audit(1795921864")]
    [InlineData("type=SYSCALL msg=audit(1795921864.79")]
    [InlineData("type=SYSCALL msg=audit(1795921864.791:395")]
    [InlineData("type=SYSCALL msg=audit(1795921864.791:39505)")]
    public void Truncated_header_is_rejected(string line)
    {
        Assert.Contains(Parse(line, out _), new[] { MalformedReason.BadTimestamp, MalformedReason.BadSerial });
    }

    [Fact]
    public void Truncated_after_the_header_is_a_valid_record_prefix()
    {
        // A line cut after "): " cannot be told from a record with fewer fields: it parses.
        var r = ParseOk(SyscallLine[..(SyscallLine.IndexOf("): ", StringComparison.Ordinal) + 40)]);
        Assert.Equal(39505L, r.Serial);
    }

    [Fact]
    public void Non_ascii_bytes_in_the_body_make_the_line_binary()
    {
        var line = Encoding.Latin1.GetBytes(SyscallLine).ToList();
        line.InsertRange(60, new byte[] { 0xC3, 0xA9, 0x80, 0x01 });
        Assert.Equal(MalformedReason.Binary, AuditLineParser.TryParseLine(line.ToArray(), out _));
    }

    [Fact]
    public void Nul_inside_a_line_with_more_bytes_after_it_makes_the_line_binary()
    {
        // e.g. a block of a log file left half-written by a crash: the record's text stops, binary follows.
        var line = Encoding.Latin1.GetBytes(SyscallLine[..80]).Concat(new byte[] { 0, 0, 0x89, 0x50, 0x4E, 0x47, 0, 0x41 })
            .Concat(Encoding.Latin1.GetBytes(" pid=1 key=\"godo\"")).ToArray();
        Assert.Equal(MalformedReason.Binary, AuditLineParser.TryParseLine(line, out _));
        Assert.Equal(MalformedReason.Binary, AuditLineParser.TryParsePayload(AuditRecordType.Syscall, line.AsSpan(13), out _));
    }

    [Fact]
    public void Control_bytes_in_the_type_make_the_line_binary()
    {
        Assert.Equal(MalformedReason.Binary, AuditLineParser.TryParseLine("type=SYS\u0001CALL msg=audit(1.000:1): x"u8, out _));
    }

    [Fact]
    public void Line_over_the_limit_is_oversized()
    {
        var line = Encoding.ASCII.GetBytes(SyscallLine + " pad=" + new string('x', AuditLineParser.MaxLineBytes));
        Assert.Equal(MalformedReason.Oversized, AuditLineParser.TryParseLine(line, out _));
        Assert.Equal(MalformedReason.Oversized, AuditLineParser.TryParsePayload(AuditRecordType.Syscall, line.AsSpan(13), out _));
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_parse()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            var why = AuditLineParser.TryParseLine(bytes, out _);
            Assert.NotEqual(MalformedReason.None, why);
            AuditLineParser.TryParsePayload(AuditRecordType.Syscall, bytes, out _);
        }
    }

    [Fact]
    public void Every_prefix_of_a_real_line_is_handled_without_throwing()
    {
        var bytes = Encoding.ASCII.GetBytes("node=h " + SyscallLine);
        for (var n = 0; n <= bytes.Length; n++)
        {
            var why = AuditLineParser.TryParseLine(bytes.AsSpan(0, n), out var r);
            if (why == MalformedReason.None) Assert.Equal(39505L, r.Serial);
        }
    }
}
