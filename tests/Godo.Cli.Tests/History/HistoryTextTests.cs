using System.Collections.Immutable;
using System.Text;
using Godo.Cli.Commands;
using Godo.Cli.Output;
using Godo.Messages.Api;
using Godo.Messages.Model;

namespace Godo.Cli.Tests.History;

/// <summary>
/// The text of `ps --from --to`, `lineage` and `containers KEY --life` from the API's shapes: every hostile argv of the
/// corpus is one escaped line, the window's columns say how each process ended, and the lineage reads from pid 1 down.
/// </summary>
public sealed class HistoryTextTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 3, 0, 0, TimeSpan.Zero);
    private const string Ctr = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>The corpus's command lines as the agent decodes them (invalid UTF-8 as U+FFFD).</summary>
    private static readonly ImmutableArray<string>[] HostileArgvs =
        [.. HostileCorpus.Argvs.Select(a => a.Select(b => Encoding.UTF8.GetString(b)).ToImmutableArray())];

    private static ProcessInfo Proc(int pid, int ppid, ImmutableArray<string> argv, int startSec, int? exitSec = null, string? container = null) => new()
    {
        Pid = pid, Ppid = ppid, Argv = argv, Comm = argv.IsDefaultOrEmpty ? "\u001b[31mkworker" : argv[0], Uid = 1000, Container = container,
        StartedAt = T0.AddSeconds(startSec), ExitedAt = exitSec is { } e ? T0.AddSeconds(e) : null,
    };

    private static List<ProcessLife> HostileLives() =>
    [
        .. HostileArgvs.Select((argv, i) => new ProcessLife("web-01", Proc(40_001 + i, 40_000, argv, i, i % 3 == 0 ? 100 + i : null, i % 2 == 0 ? Ctr : null),
            i % 2 == 0 ? "/evil\u001b]0;x\u0007name" : null, i % 3 == 0 && i % 2 == 0 ? 0 : null, i % 3 == 0 && i % 2 == 1 ? 9 : null)),
        new ProcessLife("web-01", Proc(39_999, 1, [], 0, 5, Ctr), ExitCode: 139),
    ];

    [Theory]
    [InlineData("pid", 200)]
    [InlineData("start", 200)]
    [InlineData("cmd", 140)]
    [InlineData("user", null)]
    public void A_window_shows_each_life_on_one_escaped_line(string sort, int? width)
    {
        var lives = HostileLives();
        var text = HistoryText.Lives(lives, T0, T0.AddMinutes(15), sort, width);
        var lines = HostileCliTests.AssertSafe(Encoding.UTF8.GetBytes(text)).TrimEnd('\n').Split('\n');
        Assert.Equal($"processes that lived between 2026-11-29 03:00:00.000Z and 2026-11-29 03:15:00.000Z: {lives.Count}", lines[0]);
        Assert.StartsWith("HOST", lines[1]);
        Assert.Equal(lives.Count, lines.Length - 2);
        if (width is null or >= 200) Assert.Contains(lines, l => l.Contains(@"$'1000\n4242 root /usr/sbin/sshd -D'"));
        if (width is { } w) Assert.All(lines, l => Assert.True(l.Length <= w, $"a line of {l.Length} characters"));
        else Assert.Contains(new string('A', 30_000), text);
        var pids = lines.Skip(2).Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).ToList();
        Assert.Equal(lives.Select(l => l.Process.Pid).Order(), pids.Order());
        if (sort == "pid") Assert.Equal(pids.Order(), pids);
    }

    [Fact]
    public void A_window_says_how_each_process_ended()
    {
        var text = HistoryText.Lives(HostileLives(), null, T0.AddMinutes(15), "pid", null);
        var lines = text.Split('\n');
        Assert.Equal($"processes that lived up to 2026-11-29 03:15:00.000Z: {HostileLives().Count}", lines[0]);
        string Row(int pid) => lines.Single(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var p, ..] && p == pid.ToString());
        Assert.Contains("03:01:40.000  code 0", Row(40_001));                    // exited with 0 at 100 s
        Assert.Contains("03:01:43.000  SIGKILL", Row(40_004));                   // killed
        Assert.Contains("03:00:05.000  code 139", Row(39_999));
        Assert.Contains("[\\x1b[31mkworker]", Row(39_999));                     // no argv: its comm, escaped
        Assert.Matches(@"03:00:01\.000 +- +- +sleep", Row(40_002));             // alive: no exit
        Assert.Contains(@"  evil\x1b]0;x\x07name  ", Row(40_001));      // Docker's leading slash left out
        Assert.Contains("  0123456789ab  ", Row(39_999));                       // a container without a name: its short id
    }

    [Theory]
    [InlineData(9, null, "SIGKILL")]
    [InlineData(15, 0, "SIGTERM")]
    [InlineData(64, null, "signal 64")]
    [InlineData(null, 2, "code 2")]
    [InlineData(null, null, "?")]
    public void The_exit_column_names_the_signal_or_the_code(int? signal, int? code, string shown) =>
        Assert.Equal(shown, HistoryText.Exit(new ProcessLife("h", Proc(5, 1, ["x"], 0, 1), null, code, signal)));

    [Fact]
    public void A_window_across_days_shows_dates()
    {
        var lives = new List<ProcessLife> { new("h", Proc(7, 1, ["sleep", "1"], -86_400, 30)) };
        var text = HistoryText.Lives(lives, T0, T0.AddMinutes(1), "pid", null);
        Assert.Contains("2026-11-28 03:00:00.000  2026-11-29 03:00:30.000  ?", text);
        Assert.Equal("processes that lived between 2026-11-29 03:00:00.000Z and 2026-11-29 03:01:00.000Z: 0\n",
            HistoryText.Lives([], T0, T0.AddMinutes(1), "pid", null));
    }

    [Fact]
    public void A_lineage_reads_from_pid_1_down_one_escaped_line_each()
    {
        var hostile = HostileArgvs[1];   // the forged process line
        var lineage = new ProcessLineage("web-\u001b[2J01", T0.AddMinutes(5),
            Proc(4242, 900, hostile, 200, 400, Ctr),
            [Proc(900, 800, ["sh", "-c", "it's \u202e"], 100, container: Ctr), Proc(800, 1, ["containerd-shim", "-id", "x"], 50), Proc(1, 0, ["/sbin/init"], -1000)]);
        var text = HistoryText.Lineage(lineage, 200);
        var lines = HostileCliTests.AssertSafe(Encoding.UTF8.GetBytes(text)).TrimEnd('\n').Split('\n');
        Assert.Equal([
            @"host web-\x1b[2J01   as of 2026-11-29 03:05:00.000Z   pid 4242 and 3 ancestors",
            "1 /sbin/init   (started 2026-11-29 02:43:20.000Z, user 1000)",
            "└─ 800 containerd-shim -id x   (started 2026-11-29 03:00:50.000Z, user 1000)",
            @"   └─ 900 sh -c $'it\'s \u202e'   (started 2026-11-29 03:01:40.000Z, user 1000, container 0123456789ab)",
            @"      └─ 4242 sleep $'1000\n4242 root /usr/sbin/sshd -D'   (started 2026-11-29 03:03:20.000Z, exited 2026-11-29 03:06:40.000Z, user 1000)",
        ], lines);
    }

    [Fact]
    public void A_long_lineage_line_is_cut_to_the_width()
    {
        var lineage = new ProcessLineage("h", T0, Proc(50, 1, HostileArgvs[9], 1), [Proc(1, 0, ["/sbin/init"], 0)]);
        var lines = HistoryText.Lineage(lineage, 120).TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 120, l));
        Assert.Contains("…(+", lines[2]);
        Assert.Contains(new string('A', 300_000), HistoryText.Lineage(lineage, null));
        Assert.StartsWith("host h   as of 2026-11-29 03:00:00.000Z   pid 50 and 1 ancestor\n", HistoryText.Lineage(lineage, null));
    }

    [Fact]
    public void A_containers_life_shows_each_moment_or_a_dash()
    {
        var lives = new List<ContainerLife>
        {
            new("web-02", Ctr, "/web\u001b[2J", "nginx:1\u202e", T0.AddMinutes(10), T0.AddMinutes(10).AddSeconds(0.5), null, null),
            new("web-01", Ctr, "/web", "nginx:1", T0, T0.AddSeconds(1), T0.AddMinutes(5), T0.AddMinutes(6)),
        };
        var text = HistoryText.ContainerLives(lives);
        HostileCliTests.AssertSafe(Encoding.UTF8.GetBytes(text));
        Assert.Equal(
            "container web 0123456789ab  on host web-01  image nginx:1\n" +
            "  created    2026-11-29 03:00:00.000Z\n" +
            "  started    2026-11-29 03:00:01.000Z\n" +
            "  stopped    2026-11-29 03:05:00.000Z\n" +
            "  destroyed  2026-11-29 03:06:00.000Z\n" +
            "\n" +
            @"container web\x1b[2J 0123456789ab  on host web-02  image nginx:1\u202e" + "\n" +
            "  created    2026-11-29 03:10:00.000Z\n" +
            "  started    2026-11-29 03:10:00.500Z\n" +
            "  stopped    -\n" +
            "  destroyed  -\n", text);
        Assert.Equal("no life of that container in the history\n", HistoryText.ContainerLives([]));
    }

    [Fact]
    public void A_container_at_T_is_the_life_that_spans_T()
    {
        var first = new ContainerLife("web-01", Ctr, "/web", "nginx", T0, T0, T0.AddMinutes(5), T0.AddMinutes(6));
        var second = new ContainerLife("web-01", "fe" + Ctr[2..], "/web", "nginx", T0.AddMinutes(10), T0.AddMinutes(10), null, null);
        var elsewhere = new ContainerLife("web-02", "ab" + Ctr[2..], "/web", "nginx", T0.AddMinutes(3), T0.AddMinutes(3), null, null);
        Assert.Same(first, TreeCommand.ContainerAt([first, second], "web", T0.AddMinutes(2)));
        Assert.Same(second, TreeCommand.ContainerAt([first, second], "web", T0.AddMinutes(11)));
        var none = Assert.Throws<UsageException>(() => TreeCommand.ContainerAt([first, second], "web", T0.AddMinutes(8)));
        Assert.Equal("no container 'web' at 2026-11-29 03:08:00.000Z (see godo containers web --life)", none.Message);
        var two = Assert.Throws<UsageException>(() => TreeCommand.ContainerAt([first, second, elsewhere], "web", T0.AddMinutes(4)));
        Assert.Equal(["web-01  0123456789ab  web  nginx", "web-02  ab23456789ab  web  nginx"], two.Candidates);
    }
}
