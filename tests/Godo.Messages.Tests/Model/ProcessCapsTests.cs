using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Godo.Messages.Model;

namespace Godo.Messages.Tests.Model;

public sealed class ProcessCapsTests
{
    private static readonly ProcessCaps Cap4K = new() { ArgvBytes = 4096 };

    private static int Bytes(ImmutableArray<string> argv) => argv.Sum(a => Encoding.UTF8.GetByteCount(a) + 1);

    [Fact]
    public void An_argv_within_the_cap_is_kept_as_it_is()
    {
        ImmutableArray<string> argv = ["sleep", "100"];
        var capped = Cap4K.Argv(argv);
        Assert.False(capped.Truncated);
        Assert.Equal(argv, capped.Argv); // the same array: nothing copied
        var p = new ProcessInfo { Pid = 1, Ppid = 0, Argv = argv };
        Assert.Same(p, Cap4K.Apply(p));
    }

    [Fact]
    public void A_long_argv_is_cut_to_the_cap_and_says_how_big_it_was()
    {
        ImmutableArray<string> argv = ["node", new string('a', 3000), new string('b', 3000), "tail"];
        var capped = Cap4K.Argv(argv);
        Assert.True(capped.Truncated);
        Assert.Equal(4 + 1 + 3000 + 1 + 3000 + 1 + 4 + 1, capped.OriginalBytes);
        Assert.Equal(4, capped.OriginalCount);
        Assert.Equal(4096, Bytes(capped.Argv)); // filled to the byte: the cut argument ends at the cap with its NUL
        Assert.Equal(["node", new string('a', 3000), new string('b', 4096 - 5 - 3001 - 1)], capped.Argv.ToArray());
    }

    [Fact]
    public void A_cut_never_splits_a_character()
    {
        // 3-byte (€) and 4-byte (𝄞, a surrogate pair in UTF-16) characters across the cut, at every offset.
        for (var pad = 0; pad < 8; pad++)
        foreach (var ch in new[] { "é", "€", "𝄞" })
        {
            var big = new string('x', 4000 + pad) + string.Concat(Enumerable.Repeat(ch, 100));
            var capped = Cap4K.Argv(["prog", big]);
            Assert.True(capped.Truncated);
            var cut = capped.Argv[1];
            Assert.True(Bytes(capped.Argv) <= 4096 && Bytes(capped.Argv) > 4096 - Encoding.UTF8.GetByteCount(ch));
            Assert.StartsWith(cut, big, StringComparison.Ordinal);
            Assert.False(char.IsHighSurrogate(cut[^1]), "no half of a surrogate pair at the end");
            Assert.Equal(cut, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(cut))); // valid UTF-16, so valid UTF-8
        }
    }

    [Fact]
    public void Arguments_past_the_cap_are_dropped_and_counted()
    {
        var argv = Enumerable.Range(0, 5000).Select(i => $"arg{i}").ToImmutableArray();
        var capped = Cap4K.Argv(argv);
        Assert.True(capped.Truncated);
        Assert.Equal(5000, capped.OriginalCount);
        Assert.True(capped.Argv.Length < 5000);
        Assert.Equal(argv.Take(capped.Argv.Length - 1), capped.Argv.Take(capped.Argv.Length - 1));
        Assert.True(Bytes(capped.Argv) <= 4096);
    }

    [Fact]
    public void Capping_twice_equals_capping_once_and_keeps_the_original_size()
    {
        var p = new ProcessInfo
        {
            Pid = 7, Ppid = 1, Comm = new string('c', 300), Exe = "/" + new string('e', 5000), Cwd = "/" + new string('d', 5000),
            Argv = ["x", new string('€', 20_000), "y"],
        };
        var once = ProcessCaps.Default.Apply(p);
        var twice = ProcessCaps.Default.Apply(once);
        Assert.Equal(Json(once), Json(twice));
        Assert.True(once.ArgvTruncated);
        Assert.Equal(2 + 60_001 + 2, once.ArgvBytes);
        Assert.Equal(3, once.ArgvCount);
        Assert.True(Encoding.UTF8.GetByteCount(once.Exe!) <= ProcessCaps.PathBytes);
        Assert.True(Encoding.UTF8.GetByteCount(once.Cwd!) <= ProcessCaps.PathBytes);
        Assert.True(Encoding.UTF8.GetByteCount(once.Comm!) <= ProcessCaps.CommBytes);
        // A smaller cap further down the line (an aggregator's) cuts more, and still tells the original size.
        var smaller = Cap4K.Apply(once);
        Assert.True(Bytes(smaller.Argv) <= 4096);
        Assert.Equal(once.ArgvBytes, smaller.ArgvBytes);
        Assert.Equal(once.ArgvCount, smaller.ArgvCount);
        Assert.Equal(Json(smaller), Json(Cap4K.Apply(ProcessCaps.Default.Apply(smaller))));
    }

    [Fact]
    public void Argv_off_keeps_argv_whole_but_still_caps_paths()
    {
        var p = new ProcessInfo { Pid = 7, Ppid = 1, Exe = new string('e', 9000), Argv = ["x", new string('a', 3_000_000)] };
        var kept = ProcessCaps.ArgvOff.Apply(p);
        Assert.False(kept.ArgvTruncated);
        Assert.Equal(3_000_000, kept.Argv[1].Length);
        Assert.Equal(ProcessCaps.PathBytes, kept.Exe!.Length);
    }

    [Fact]
    public void The_truncation_fields_are_written_only_for_a_cut_argv()
    {
        var whole = Json(new ProcessInfo { Pid = 1, Ppid = 0, Argv = ["a"] });
        Assert.DoesNotContain("argvTruncated", whole);
        Assert.DoesNotContain("argvBytes", whole);
        var cut = Json(ProcessCaps.Default.Apply(new ProcessInfo { Pid = 1, Ppid = 0, Argv = [new string('a', 40_000)] }));
        Assert.Contains("\"argvTruncated\":true", cut);
        Assert.Contains("\"argvBytes\":40001", cut);
        Assert.Contains("\"argvCount\":1", cut);
    }

    private static string Json(ProcessInfo p) => JsonSerializer.Serialize(p, GodoJsonContext.Default.ProcessInfo);
}
