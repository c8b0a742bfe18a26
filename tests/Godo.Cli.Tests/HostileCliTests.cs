using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Godo.Messages.Model;

namespace Godo.Cli.Tests;

/// <summary>The standalone fed the hostile corpus: argv full of escapes, newlines, invalid UTF-8, bidi and markup.</summary>
public sealed class HostileFixture : StandaloneFixture
{
    protected override string Log => HostileCorpus.Generate();
}

/// <summary>
/// What a hostile container user controls (argv, comm, exe, cwd) reaches the terminal only escaped: every text output
/// is checked on its bytes, and one process is always one line.
/// </summary>
public sealed class HostileCliTests(HostileFixture f) : IClassFixture<HostileFixture>
{
    [Fact]
    public async Task Replay_and_the_API_give_the_same_tree()
    {
        var log = HostileCorpus.WriteTo(Path.Combine(Path.GetTempPath(), $"godo-hostile-{Guid.NewGuid():N}.log"));
        try
        {
            var (code, json, err) = await GodoCli.RunAsync("replay", log, "--json", "--host-name", f.HostName, "--quiet");
            Assert.True(code == 0, err);
            var replayed = JsonSerializer.Deserialize(json, GodoJsonContext.Default.HostTree)!;
            var (_, api, _) = await GodoCli.RunAsync("tree", f.HostName, "--server", f.Url, "--json");
            Assert.Equal(Corpus.Fingerprint(replayed), Corpus.Fingerprint(JsonSerializer.Deserialize(api, GodoJsonContext.Default.HostTree)!));
            Assert.Equal(HostileCorpus.LiveProcesses, replayed.Processes.Length);
            // The kernel's encodings were read right: a newline stays a newline in argv, invalid UTF-8 becomes U+FFFD.
            Assert.Contains(replayed.Processes, p => p.Argv.SequenceEqual(["sleep", "1000\n4242 root /usr/sbin/sshd -D"]));
            Assert.Contains(replayed.Processes, p => p.Argv.Length == 3 && p.Argv[0] == "cat" && p.Argv[1].StartsWith("f\ufffd"));
            Assert.Contains(replayed.Processes, p => p.Argv.Length == 3001 && p.Argv[0] == "xargs");

            var (textCode, text) = await RunBytes("replay", log, "--host-name", f.HostName, "--quiet");
            Assert.Equal(0, textCode);
            AssertOneLinePerProcess(AssertSafe(text), HostileCorpus.LiveProcesses, headers: 3);
        }
        finally { File.Delete(log); }
    }

    [Theory]
    [InlineData("tree")]
    [InlineData("tree", "--wide")]
    public async Task Tree_shows_every_process_on_one_line_with_no_raw_control(params string[] args)
    {
        var tree = await ApiTree();
        var (code, output) = await RunBytes([.. args, f.HostName, "--server", f.Url]);
        Assert.Equal(0, code);
        var text = AssertSafe(output);
        AssertOneLinePerProcess(text, tree.Processes.Length, headers: 3);   // host line, blank, "host processes"
        Assert.Contains(@"$'1000\n4242 root /usr/sbin/sshd -D'", text);
        Assert.Contains(@"$'\x1b]0;owned by argv\x07'", text);
        Assert.Contains(@"'<script>alert(document.cookie)</script>'", text);
        if (args.Contains("--wide")) Assert.Contains(new string('A', 300_000), text);
        else Assert.All(text.Split('\n'), line => Assert.True(line.Length <= 200, $"a line of {line.Length} characters"));
    }

    [Theory]
    [InlineData("ps")]
    [InlineData("ps", "--wide")]
    [InlineData("ps", "--sort", "cmd")]
    [InlineData("ps", "--sort", "user")]
    [InlineData("ps", "--sort", "start")]
    public async Task Ps_shows_every_process_on_one_line_with_no_raw_control(params string[] args)
    {
        var tree = await ApiTree();
        var (code, output) = await RunBytes([.. args, "--host", f.HostName, "--server", f.Url]);
        Assert.Equal(0, code);
        var text = AssertSafe(output);
        AssertOneLinePerProcess(text, tree.Processes.Length, headers: 1);
        Assert.StartsWith("HOST", text);
        var pids = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).ToList();
        Assert.Equal(tree.Processes.Select(p => p.Pid).Order(), pids.Order());
        if (args.Contains("user"))
            Assert.Equal(pids.Select(pid => tree.Processes.Single(p => p.Pid == pid).Uid ?? int.MaxValue), pids.Select(pid => tree.Processes.Single(p => p.Pid == pid).Uid ?? int.MaxValue).Order());
        if (args.Length == 1) Assert.Equal(pids.Order(), pids);
    }

    [Fact]
    public async Task Hosts_and_containers_hold_no_raw_control()
    {
        var (code, hosts) = await RunBytes("hosts", "--server", f.Url);
        Assert.Equal(0, code);
        Assert.Equal(2, AssertSafe(hosts).TrimEnd('\n').Split('\n').Length);
        (code, var containers) = await RunBytes("containers", "--server", f.Url);
        Assert.Equal(0, code);
        AssertSafe(containers);
    }

    private async Task<HostTree> ApiTree()
    {
        var (_, json, _) = await GodoCli.RunAsync("tree", f.HostName, "--server", f.Url, "--json");
        return JsonSerializer.Deserialize(json, GodoJsonContext.Default.HostTree)!;
    }

    internal static void AssertOneLinePerProcess(string text, int processes, int headers) =>
        Assert.Equal(processes + headers, text.TrimEnd('\n').Split('\n').Length);

    /// <summary>
    /// The output as a terminal gets it: valid UTF-8, no C0 control but the newline ending each line, no DEL, no C1
    /// control, no bidi override, isolate or mark, no zero-width character, no U+FFFD; returns it decoded.
    /// </summary>
    internal static string AssertSafe(byte[] output)
    {
        Assert.NotEmpty(output);
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(output);
        foreach (var r in text.EnumerateRunes())
        {
            var c = r.Value;
            var bad = (c < 0x20 && c != '\n') || c is 0x7f or (>= 0x80 and <= 0x9f) or (>= 0x202a and <= 0x202e) or (>= 0x2066 and <= 0x2069)
                      or (>= 0x200b and <= 0x200f) or 0x061c or 0x2060 or 0xfeff or 0x2028 or 0x2029 or 0xfffd;
            Assert.False(bad, $"raw U+{c:X4} in the output");
        }
        foreach (var poison in HostileCorpus.Poison) Assert.DoesNotContain(poison, text);
        return text;
    }

    /// <summary>`godo ARGS` to its end, with standard output as the bytes it wrote (decoding would hide bad ones).</summary>
    internal static async Task<(int Code, byte[] Out)> RunBytes(params string[] args)
    {
        using var godo = RunningGodo.Start(args);
        return await godo.WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>`godo events` on the hostile corpus: each event one line, escaped.</summary>
public sealed class HostileEventsTests(HostileFixture f) : IClassFixture<HostileFixture>
{
    [Fact]
    public async Task Events_shows_every_exec_on_one_line_with_no_raw_control()
    {
        using var events = RunningGodo.Start("events", "--server", f.Url, "--host", f.HostName);
        // The stream's subscription has no signal of its own: feed fresh rounds of the corpus (new pids, later
        // times) until the hostile execs come through.
        var round = 0;
        await Eventually.Until(async () =>
        {
            round++;
            await f.FeedAsync(HostileCorpus.Generate(pidBase: 100_000 + round * 1000, startMs: 1_795_940_000_000 + round * 100_000L, firstSerial: 2_000_000 + round * 100_000L));
            var seen = Encoding.UTF8.GetString(events.Output());
            return seen.Contains("owned by argv") && seen.Contains("sshd");
        }, TimeSpan.FromSeconds(120), "godo events shows the hostile execs");
        await Task.Delay(500);   // let a round's last events arrive; the assertions hold for whatever did
        var text = HostileCliTests.AssertSafe(events.Output());
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches(new Regex(@"^\d\d:\d\d:\d\d\.\d{3}  \S"), line));
        Assert.Contains(lines, l => l.Contains(@"$'1000\n4242 root /usr/sbin/sshd -D'"));
    }
}
