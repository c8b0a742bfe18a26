using System.Text;
using Godo.Agent.Audit;
using Godo.Agent.Replay;

namespace Godo.Agent.Tests.Audit;

public sealed class AuditLineReaderTests
{
    private const string Line1 = "type=SYSCALL msg=audit(1795921864.799:39507): arch=c000003e syscall=56 success=yes exit=24555 a0=1200011 a1=0 a2=0 a3=0 items=0 ppid=24510 pid=24554 uid=0 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"godo\"";
    private const string Line2 = "type=PROCTITLE msg=audit(1795921864.799:39507): proctitle=\"bash\"";

    /// <summary>Hands out at most <paramref name="chunk"/> bytes a read, like a pipe or a socket.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _pos;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<(List<string> Lines, int Oversized, AuditLineReader Reader)> ReadAll(Stream s)
    {
        var lines = new List<string>();
        var oversized = 0;
        var reader = new AuditLineReader(s);
        await reader.ReadAllAsync(l => lines.Add(Encoding.Latin1.GetString(l)), () => oversized++);
        return (lines, oversized, reader);
    }

    private static byte[] Bytes(params object[] parts)
    {
        var ms = new MemoryStream();
        foreach (var p in parts)
            if (p is string s) ms.Write(Encoding.Latin1.GetBytes(s));
            else ms.Write((byte[])p);
        return ms.ToArray();
    }

    [Fact]
    public async Task Lines_are_split_on_newlines()
    {
        var (lines, oversized, reader) = await ReadAll(new MemoryStream(Bytes(Line1, "\n", Line2, "\n")));
        Assert.Equal([Line1, Line2], lines);
        Assert.Equal(0, oversized);
        Assert.Equal(Line1.Length + Line2.Length + 2, reader.BytesRead);
    }

    [Fact]
    public async Task Last_line_without_newline_is_still_read()
    {
        var (lines, _, _) = await ReadAll(new MemoryStream(Bytes(Line1, "\n", Line2)));
        Assert.Equal([Line1, Line2], lines);
    }

    [Fact]
    public async Task Empty_lines_are_passed_on_and_parse_as_empty()
    {
        var (lines, _, _) = await ReadAll(new MemoryStream(Bytes("\n\n", Line1, "\n\r\n")));
        Assert.Equal(["", "", Line1, "\r"], lines);
        Assert.All(lines.Where(l => l != Line1), l => Assert.Equal(MalformedReason.Empty, AuditLineParser.TryParseLine(Encoding.Latin1.GetBytes(l), out _)));
    }

    [Fact]
    public async Task Lines_split_across_small_reads_are_reassembled()
    {
        var (lines, _, _) = await ReadAll(new TrickleStream(Bytes(Line1, "\n", Line2, "\n", Line1, "\n"), 7));
        Assert.Equal([Line1, Line2, Line1], lines);
    }

    [Fact]
    public async Task One_megabyte_line_is_skipped_counted_and_the_next_line_is_read()
    {
        var huge = new byte[1 << 20];
        new Random(3).NextBytes(huge);
        for (var i = 0; i < huge.Length; i++) if (huge[i] == (byte)'\n') huge[i] = (byte)'x';
        var (lines, oversized, _) = await ReadAll(new MemoryStream(Bytes(Line1, "\n", huge, "\n", Line2, "\n")));
        Assert.Equal([Line1, Line2], lines);
        Assert.Equal(1, oversized);
    }

    [Fact]
    public async Task Line_longer_than_the_buffer_is_counted_once()
    {
        var huge = Encoding.ASCII.GetBytes(new string('a', (3 << 20) + 17));
        var (lines, oversized, reader) = await ReadAll(new TrickleStream(Bytes(huge, "\n", Line2, "\n"), 64 * 1024));
        Assert.Equal([Line2], lines);
        Assert.Equal(1, oversized);
        Assert.Equal(1, reader.OversizedLines);
    }

    [Fact]
    public async Task Line_just_over_the_limit_is_oversized_and_one_at_the_limit_is_not()
    {
        var atLimit = new string('b', AuditLineParser.MaxLineBytes);
        var over = new string('c', AuditLineParser.MaxLineBytes + 1);
        var (lines, oversized, _) = await ReadAll(new MemoryStream(Bytes(atLimit, "\n", over, "\n", Line1, "\n")));
        Assert.Equal([atLimit, Line1], lines);
        Assert.Equal(1, oversized);
    }

    [Fact]
    public async Task Oversized_line_at_end_of_stream_without_newline_is_counted_not_emitted()
    {
        var (lines, oversized, _) = await ReadAll(new MemoryStream(Bytes(Line1, "\n", new string('d', 2 << 20))));
        Assert.Equal([Line1], lines);
        Assert.Equal(1, oversized);
    }

    [Fact]
    public async Task Several_huge_lines_in_a_row_are_each_counted()
    {
        var mb = new string('e', 1 << 20);
        var (lines, oversized, _) = await ReadAll(new MemoryStream(Bytes(mb, "\n", mb, "\n", mb, "\n", Line2)));
        Assert.Equal([Line2], lines);
        Assert.Equal(3, oversized);
    }

    [Fact]
    public async Task Sync_replay_skips_garbage_counts_it_and_still_builds_the_process()
    {
        var garbage = new byte[300];
        new Random(5).NextBytes(garbage);
        for (var i = 0; i < garbage.Length; i++) if (garbage[i] is (byte)'\n' or (byte)'\r') garbage[i] = 0xAA;
        garbage[0] = 0xFF;
        var input = Bytes(
            "\n",
            garbage, "\n",
            "type=SYSCALL msg=audit(1795921864.7", "\n",              // truncated header
            "type=SYSCALL msg=audit(1795921864.700): pid=1", "\n",     // missing serial
            new string('f', 1 << 20), "\n",                            // 1 MB
            "type=SYSCALL msg=audit(1795921864.800:10): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1 ppid=1 pid=4242 uid=0 comm=\"sleep\" exe=\"/usr/bin/sleep\" key=\"godo\"", "\n",
            "type=EXECVE msg=audit(1795921864.800:10): argc=2 a0=\"sleep\" a1=\"9\"", "\n");
        var replay = new SyncReplay();
        await replay.RunAsync(new MemoryStream(input));
        Assert.Equal(4, replay.Stats.Malformed);
        Assert.Equal(7, replay.Stats.Lines);
        Assert.Equal(2, replay.Stats.Records);
        var p = replay.Tree.Get(4242);
        Assert.NotNull(p);
        Assert.Equal(["sleep", "9"], p.Argv.ToArray());
    }
}
