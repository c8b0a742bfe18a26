using System.Text;
using Godo.Agent.Tree;
using Godo.Messages.Model;

namespace Godo.Agent.Tests.Tree;

/// <summary>The tree keeps argv cut to its cap, after the whole EXECVE (split arguments and all) was decoded.</summary>
public sealed class ArgvCapTests
{
    private const int Bash = 24554;

    [Fact]
    public void A_huge_argv_is_decoded_whole_then_kept_cut_with_its_size_and_count()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash"]);
        // Split by the kernel into aN_len/aN[k] pieces (hex, since it holds non-ASCII), cut through multibyte characters.
        var big = string.Concat(Enumerable.Repeat("ünï€𝄞-", 40_000));
        string[] argv = ["node", "-e", big, "--tail", "last"];
        var child = h.Fork(Bash);
        h.Exec(child, "/usr/bin/node", argv);

        var n = h.Tree.Get(child)!;
        var whole = argv.Sum(a => Encoding.UTF8.GetByteCount(a) + 1);
        Assert.True(n.ArgvTruncated);
        Assert.Equal((whole, 5), (n.ArgvBytes, n.ArgvCount));
        var kept = n.Argv.Sum(a => Encoding.UTF8.GetByteCount(a) + 1);
        Assert.InRange(kept, ProcessCaps.DefaultArgvBytes - 4, ProcessCaps.DefaultArgvBytes);
        Assert.Equal(["node", "-e"], n.Argv.Take(2).ToArray());
        Assert.StartsWith(n.Argv[2], big, StringComparison.Ordinal); // decoded right up to the cut

        var info = ProcessTree.ToInfo(n);
        Assert.True(info.ArgvTruncated);
        Assert.Equal((whole, 5), (info.ArgvBytes, info.ArgvCount));

        // a fork that does not exec shares the cut argv, flags and all; the next exec replaces them
        var grandchild = h.Fork(child);
        Assert.True(h.Tree.Get(grandchild)!.ArgvTruncated);
        h.Exec(grandchild, "/bin/true", ["true"]);
        var g = h.Tree.Get(grandchild)!;
        Assert.False(g.ArgvTruncated);
        Assert.Equal(["true"], g.Argv.ToArray());
    }

    [Fact]
    public async Task A_replay_of_the_same_log_keeps_the_same_cut_argv()
    {
        var h = new HostScript();
        h.Existing(Bash, 24510, "/usr/bin/bash", ["/bin/bash"]);
        var child = h.Fork(Bash);
        h.Exec(child, "/bin/sh", ["sh", "-c", new string('x', 100_000)]);
        var replay = new Godo.Agent.Replay.SyncReplay();
        await replay.RunAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', h.Lines) + "\n")));
        var live = ProcessTree.ToInfo(h.Tree.Get(child)!);
        var replayed = ProcessTree.ToInfo(replay.Tree.Get(child)!);
        Assert.Equal(live.Argv.ToArray(), replayed.Argv.ToArray());
        Assert.Equal((live.ArgvTruncated, live.ArgvBytes, live.ArgvCount), (replayed.ArgvTruncated, replayed.ArgvBytes, replayed.ArgvCount));
    }
}
