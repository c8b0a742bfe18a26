using System.Text.Json;
using Godo.Messages.Model;

namespace Godo.Cli.Tests.History;

/// <summary>
/// The queries over time through `godo`, against a real standalone and its history store, on the hostile corpus: its
/// processes are exec'd at start+2+2i ms (i = 0..11), and two of them (pids 40003 and 40009) exit at +25 and +26 ms.
/// </summary>
public sealed class HistoryCliTests(HostileFixture f) : IClassFixture<HostileFixture>
{
    private const string BeforeExits = "1795930000.024";   // the last exec; the two that exit later still live
    private const string AfterExits = "2026-11-29T05:26:40.030Z";

    [Fact]
    public async Task Tree_at_T_shows_the_tree_of_then_with_the_processes_that_exited_since()
    {
        var (code, output) = await HostileCliTests.RunBytes("tree", f.HostName, "--at", BeforeExits, "--server", f.Url);
        Assert.Equal(0, code);
        var text = HostileCliTests.AssertSafe(output);
        Assert.StartsWith($"host {f.HostName}   as of 2026-11-29 05:26:40.024Z   13 processes", text);
        HostileCliTests.AssertOneLinePerProcess(text, 13, headers: 3);
        Assert.Contains("─ 40003 sleep ", text);

        (code, output) = await HostileCliTests.RunBytes("tree", f.HostName, "--at", AfterExits, "--server", f.Url);
        Assert.Equal(0, code);
        text = HostileCliTests.AssertSafe(output);
        Assert.StartsWith($"host {f.HostName}   as of 2026-11-29 05:26:40.030Z   11 processes", text);
        Assert.DoesNotContain(" 40003 ", text);
        Assert.DoesNotContain(" 40009 ", text);
    }

    [Theory]
    [InlineData("1795930000.010")]
    [InlineData(BeforeExits)]
    [InlineData(AfterExits)]
    public async Task Tree_at_T_is_what_replay_until_T_gives(string at)
    {
        var log = HostileCorpus.WriteTo(Path.Combine(Path.GetTempPath(), $"godo-hostile-{Guid.NewGuid():N}.log"));
        try
        {
            var (code, replayed, err) = await GodoCli.RunAsync("replay", log, "--until", at, "--json", "--host-name", f.HostName, "--quiet");
            Assert.True(code == 0, err);
            (code, var api, err) = await GodoCli.RunAsync("tree", f.HostName, "--at", at, "--server", f.Url, "--json");
            Assert.True(code == 0, err);
            var expected = JsonSerializer.Deserialize(replayed, GodoJsonContext.Default.HostTree)!;
            Assert.Equal(Corpus.Fingerprint(expected), Corpus.Fingerprint(JsonSerializer.Deserialize(api, GodoJsonContext.Default.HostTree)!));
        }
        finally { File.Delete(log); }
    }

    [Theory]
    [InlineData("ps")]
    [InlineData("ps", "--wide")]
    [InlineData("ps", "--sort", "start")]
    [InlineData("ps", "--sort", "cmd")]
    public async Task Ps_over_a_window_shows_the_exited_processes_with_their_exit(params string[] args)
    {
        var (code, output) = await HostileCliTests.RunBytes([.. args, "--host", f.HostName, "--from", "1795930000", "--to", "1795930001", "--server", f.Url]);
        Assert.Equal(0, code);
        var text = HostileCliTests.AssertSafe(output);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal("processes that lived between 2026-11-29 05:26:40.000Z and 2026-11-29 05:26:41.000Z: 13", lines[0]);
        Assert.Equal(13 + 2, lines.Length);
        var exited = lines.Where(l => l.Contains(" 05:26:40.025 ") || l.Contains(" 05:26:40.026 ")).ToList();
        Assert.Equal(["40003", "40009"], exited.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Order());
        // as they were last seen in the window: with the command line they ran
        Assert.True(exited.Any(l => l.Contains("sleep")) && exited.Any(l => l.Contains("rm -rf")), text);
        if (args.Length == 1) Assert.Equal(lines.Skip(2).Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).Order(),
            lines.Skip(2).Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])));
    }

    [Fact]
    public async Task Ps_over_a_window_narrows_by_argv_and_says_when_nothing_lived()
    {
        var (code, output, err) = await GodoCli.RunAsync("ps", "--argv", "document.cookie", "--from", "1795930000", "--to", "1795930001", "--server", f.Url);
        Assert.True(code == 0, err);
        var rows = output.TrimEnd('\n').Split('\n').Skip(2).ToList();
        Assert.True(rows.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).SequenceEqual(["40008"]), output);
        (code, output, err) = await GodoCli.RunAsync("ps", "--from", "2020-01-01T00:00:00Z", "--to", "2020-01-01T00:01:00Z", "--server", f.Url);
        Assert.True(code == 0, err);
        Assert.Equal("processes that lived between 2020-01-01 00:00:00.000Z and 2020-01-01 00:01:00.000Z: 0\n", output);
    }

    /// <summary>Every process exec'd in the hostile log with its argv as the tree read it (one entry per exec).</summary>
    private static async Task<List<(int Pid, string Argv)>> ExecsInLog()
    {
        var execs = new List<(int, string)>();
        var replay = new Godo.Agent.Replay.SyncReplay
        {
            AfterApply = (e, tree) =>
            {
                if (Godo.Agent.Audit.SyscallTable.IsExec(e.Kind) && e.Success == true && tree.Get(e.Pid) is { } p) execs.Add((p.Pid, string.Join(' ', p.Argv)));
            },
        };
        await replay.RunAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(HostileCorpus.Generate())));
        return execs;
    }

    [Theory]
    [InlineData("rm -rf")]                  // inside one argument: sh -c "it's $(rm -rf /) ..."
    [InlineData("-c it's $(rm")]            // across arguments, joined by one space, quote and all
    [InlineData("document.cookie")]
    [InlineData("1000\n4242 root")]        // a newline inside an argument
    public async Task The_window_argv_search_finds_exactly_the_processes_whose_argv_holds_the_text(string needle)
    {
        var expected = (await ExecsInLog()).Where(x => x.Argv.Contains(needle, StringComparison.Ordinal)).Select(x => x.Pid).Distinct().Order().ToList();
        Assert.NotEmpty(expected);
        using var http = new HttpClient();
        foreach (var query in new[] { Uri.EscapeDataString(needle), needle.Replace(" ", "+") })
        {
            var lives = JsonSerializer.Deserialize<List<Godo.Messages.Api.ProcessLife>>(
                await http.GetStringAsync($"{f.Url}/api/processes?argv={query}&from=1795930000&to=1795930001"), Godo.Messages.Api.ApiJson.Configure(new JsonSerializerOptions()))!;
            Assert.Equal(expected, lives.Select(l => l.Process.Pid).Order().ToList());
        }
        var (code, json, err) = await GodoCli.RunAsync("ps", "--argv", needle, "--from", "1795930000", "--to", "1795930001", "--server", f.Url, "--json");
        Assert.True(code == 0, err);
        Assert.Equal(expected, JsonDocument.Parse(json).RootElement.EnumerateArray().Select(l => l.GetProperty("process").GetProperty("pid").GetInt32()).Order().ToList());
    }

    [Fact]
    public async Task Lineage_at_T_goes_up_from_an_exited_process()
    {
        var (code, output) = await HostileCliTests.RunBytes("lineage", f.HostName, "40003", "--at", BeforeExits, "--server", f.Url);
        Assert.Equal(0, code);
        var lines = HostileCliTests.AssertSafe(output).TrimEnd('\n').Split('\n');
        Assert.Equal($"host {f.HostName}   as of 2026-11-29 05:26:40.024Z   pid 40003 and 1 ancestor", lines[0]);
        Assert.StartsWith("40000 /bin/sh /opt/hostile.sh   (started 2026-11-29 05:26:40.000Z", lines[1]);
        Assert.StartsWith("└─ 40003 sleep ", lines[2]);
        Assert.Equal(3, lines.Length);

        var (missing, _, err) = await GodoCli.RunAsync("lineage", f.HostName, "40003", "--at", AfterExits, "--server", f.Url);
        Assert.Equal(2, missing);
        Assert.StartsWith("godo: no process 40003", Assert.Single(err.TrimEnd('\n').Split('\n')));
    }

    [Theory]
    [InlineData("tree", "standalone-host", "--at", "\u001b]0;owned\u0007")]
    [InlineData("tree", "standalone-host", "--at", "03:12\n4242 root sshd")]
    [InlineData("ps", "--from", "-5m", "--to", "-10m")]
    [InlineData("ps", "--from", "\u202e-5m")]
    [InlineData("lineage", "standalone-host", "-1")]
    [InlineData("lineage", "standalone-host", "1", "--at", "yesterday")]
    [InlineData("containers", "--life")]
    public async Task Bad_times_and_arguments_are_one_escaped_line_and_exit_2(params string[] args)
    {
        var (code, output, err) = await GodoCli.RunAsync([.. args, "--server", f.Url]);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = err.TrimEnd('\n').Split('\n')[0];
        Assert.StartsWith("godo: ", line);
        HostileCliTests.AssertSafe(System.Text.Encoding.UTF8.GetBytes(line));
    }

    [Fact]
    public async Task The_history_of_an_unknown_host_is_a_one_line_404()
    {
        var (code, _, err) = await GodoCli.RunAsync("tree", "no-such-host", "--at", BeforeExits, "--server", f.Url);
        Assert.Equal(2, code);
        Assert.StartsWith("godo: ", Assert.Single(err.TrimEnd('\n').Split('\n')));
    }
}
