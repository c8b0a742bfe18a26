using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Godo.Cli.Tests;

/// <summary>Bad input and failed starts are one line with the right exit code; a normal stop logs no exception.</summary>
public sealed class HonestErrorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godo-errors-").FullName;

    [Theory]
    [InlineData("empty")]
    [InlineData("random")]
    [InlineData("passwd")]
    public async Task Replay_of_a_file_without_audit_records_says_so_and_exits_2(string kind)
    {
        var file = Path.Combine(_dir, kind);
        switch (kind)
        {
            case "empty": File.WriteAllBytes(file, []); break;
            case "random": File.WriteAllBytes(file, RandomNumberGeneratorBytes(100_000)); break;
            default: File.WriteAllText(file, "root:$y$j9T$abc:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n"); break;
        }
        foreach (var json in new[] { false, true })
        {
            var (code, output, err) = await GodoCli.RunAsync(json ? ["replay", file, "--json"] : ["replay", file]);
            Assert.Equal(2, code);
            Assert.Equal("", output);
            var line = Assert.Single(err.TrimEnd('\n').Split('\n'));
            Assert.StartsWith($"godo: no audit records in {file}", line);
        }
    }

    [Fact]
    public async Task Replay_of_a_log_with_some_garbage_replays_it_and_counts_the_lines_skipped()
    {
        var file = Path.Combine(_dir, "mixed.log");
        File.WriteAllText(file, "garbage one\n" + HostileCorpus.Generate() + "\u0001\u0002 more garbage\nnot=audit at=all\n");
        var (code, output, err) = await GodoCli.RunAsync("replay", file, "--quiet");
        Assert.Equal(0, code);
        Assert.Contains($"{HostileCorpus.LiveProcesses} processes", output);
        Assert.Equal("godo: 3 malformed lines skipped (see --json stats)", err.Trim());
    }

    [Fact]
    public async Task Godo_alone_prints_the_help()
    {
        var (code, output, err) = await GodoCli.RunAsync();
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output);
        Assert.Contains("replay", output);
        Assert.Equal("", err);
    }

    [Fact]
    public async Task Events_refuses_an_unknown_kind_and_lists_the_known_ones()
    {
        var (code, _, err) = await GodoCli.RunAsync("events", "--kind", "exec,bogus", "--server", "http://127.0.0.1:1");
        Assert.Equal(2, code);
        var line = Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("godo: unknown event kind 'bogus': give one or more of exec, exit, container-start", line);
    }

    [Theory]
    [InlineData("aggregator")]
    [InlineData("standalone")]
    public async Task A_busy_http_port_is_one_line_and_exit_2(string command)
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)busy.LocalEndpoint).Port}";
        var (code, _, err) = await GodoCli.RunAsync(Server(command, url));
        Assert.Equal(2, code);
        Assert.Equal($"godo: cannot listen on {url}: the port is in use (another godo?); choose another with --http", Assert.Single(err.TrimEnd('\n').Split('\n')));
    }

    [Fact]
    public async Task Https_without_a_certificate_is_one_line_and_exit_2()
    {
        var (code, _, err) = await GodoCli.RunAsync("aggregator", "--http", "https://127.0.0.1:0", "--remote-port", "0");
        Assert.Equal(2, code);
        Assert.StartsWith("godo: cannot serve https://", Assert.Single(err.TrimEnd('\n').Split('\n')));
    }

    [Theory]
    [InlineData("aggregator")]
    [InlineData("standalone")]
    [InlineData("agent")]
    public async Task A_normal_stop_logs_no_exception(string command)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        using var godo = RunningGodo.Start(command == "agent"
            ? ["agent", "--source", "file:" + Log(), "--follow", "--no-docker", "--print-every", "1s"]
            : Server(command, url, follow: true));
        await Eventually.Until(() => Task.FromResult(command == "agent" ? godo.Output().Length > 0 : godo.Error().Contains(url)),
            TimeSpan.FromSeconds(120), $"godo {command} running");
        godo.Signal("TERM");
        var (code, output) = await godo.WaitAsync(TimeSpan.FromSeconds(90));
        var all = Encoding.UTF8.GetString(output) + godo.Error();
        Assert.True(code == 0, $"exit code {code}: {all}");
        Assert.DoesNotContain("Exception", all);
        Assert.DoesNotContain("   at ", all);
    }

    [Fact]
    public async Task Events_stopped_by_a_signal_logs_no_exception()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        using var server = RunningGodo.Start(Server("standalone", url, follow: true));
        await Eventually.Until(() => Task.FromResult(server.Error().Contains(url)), TimeSpan.FromSeconds(120), $"godo standalone serving {url}");
        using var events = RunningGodo.Start("events", "--server", url);
        await Task.Delay(TimeSpan.FromSeconds(2));   // connected or not, a stop must be quiet
        events.Signal("INT");
        var (code, output) = await events.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("Exception", Encoding.UTF8.GetString(output) + events.Error());
        Assert.Contains(code, new[] { 0, 130 });
        server.Signal("TERM");
        await server.WaitAsync(TimeSpan.FromSeconds(90));
    }

    private string[] Server(string command, string url, bool follow = false) => command == "aggregator"
        ? ["aggregator", "--http", url, "--remote-port", "0"]
        : ["standalone", "--source", "file:" + Log(), "--no-docker", "--http", url, .. follow ? new[] { "--follow" } : []];

    private string Log()
    {
        var file = Path.Combine(_dir, "hostile.log");
        if (!File.Exists(file)) HostileCorpus.WriteTo(file);
        return file;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static byte[] RandomNumberGeneratorBytes(int n) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
