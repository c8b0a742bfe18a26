using System.Collections;
using System.CommandLine;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Aggregator;
using Godo.Cli.Commands;
using Godo.Cli.Settings;
using Godo.Messages.Security;

namespace Godo.Cli.Tests.Settings;

/// <summary>
/// One binder for every command: appsettings.json, then the environment, then the flags, each later layer winning,
/// parsed through the commands' own flag definitions. The environment is given explicitly, never the test process's.
/// </summary>
public sealed class SettingsPrecedenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("godo-settings-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An environment whose GODO_CONFIG points at an appsettings.json holding <paramref name="json"/>.</summary>
    private Hashtable Environment(string json, params (string Name, string Value)[] variables)
    {
        var file = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(file, json);
        var env = new Hashtable { ["GODO_CONFIG"] = file };
        foreach (var (name, value) in variables) env[name] = value;
        return env;
    }

    private static AgentSettings Agent(Hashtable env, params string[] args)
    {
        var o = AgentCommand.CreateOptions();
        var cmd = new Command("agent") { o.Source, o.HostName, o.AuditMode, o.ReconcileEvery, o.Aggregators, o.NoDocker, o.ExitSource, o.ArgvCap };
        var parse = cmd.Parse(args);
        Assert.Empty(parse.Errors);
        return AgentSection.Bind(GodoConfiguration.Build(o.Flags(parse).SetList("Agent:Aggregators", parse.GetValue(o.Aggregators)), env));
    }

    private static AggregatorSettings Aggregator(Hashtable env, params string[] args)
    {
        var o = AggregatorCommand.CreateOptions();
        var cmd = new Command("aggregator") { o.RemoteHost, o.RemotePort, o.Seeds, o.StaleAfter };
        foreach (var option in o.Api.All) cmd.Options.Add(option);
        var parse = cmd.Parse(args);
        Assert.Empty(parse.Errors);
        return AggregatorSection.Bind(GodoConfiguration.Build(o.Flags(parse), env));
    }

    [Fact]
    public void Agent_flag_beats_environment_beats_appsettings_beats_the_default()
    {
        const string json = """{ "Agent": { "HostName": "from-file", "AuditMode": "multicast" } }""";
        var all = Environment(json, ("GODO_HOST_NAME", "from-env"), ("GODO_AUDIT_MODE", "unicast"));
        Assert.Equal("from-flag", Agent(all, "--host-name", "from-flag").HostName);
        Assert.Equal("from-env", Agent(all).HostName);
        Assert.Equal("from-file", Agent(Environment(json)).HostName);
        Assert.Equal(new AgentSettings().HostName, Agent(Environment("{}")).HostName);

        Assert.Equal(AuditMode.Auto, Agent(all, "--audit-mode", "auto").AuditMode);
        Assert.Equal(AuditMode.Unicast, Agent(all).AuditMode);
        Assert.Equal(AuditMode.Multicast, Agent(Environment(json)).AuditMode);
        Assert.Equal(AuditMode.Auto, Agent(Environment("{}")).AuditMode);
    }

    [Fact]
    public void Aggregator_flag_beats_environment_beats_appsettings_beats_the_default()
    {
        const string json = """{ "Aggregator": { "RemotePort": "4001", "Http": "http://127.0.0.1:6001", "StaleAfter": "7" } }""";
        var all = Environment(json, ("GODO_REMOTE_PORT", "4002"), ("GODO_HTTP", "http://127.0.0.1:6002"), ("GODO_STALE_AFTER", "8s"));
        var flags = Aggregator(all, "--remote-port", "4003", "--http", "http://127.0.0.1:6003", "--stale-after", "9");
        Assert.Equal((4003, "http://127.0.0.1:6003", TimeSpan.FromSeconds(9)), (flags.RemotePort, flags.HttpUrl, flags.StaleAfter));
        var env = Aggregator(all);
        Assert.Equal((4002, "http://127.0.0.1:6002", TimeSpan.FromSeconds(8)), (env.RemotePort, env.HttpUrl, env.StaleAfter));
        var file = Aggregator(Environment(json));
        Assert.Equal((4001, "http://127.0.0.1:6001", TimeSpan.FromSeconds(7)), (file.RemotePort, file.HttpUrl, file.StaleAfter));
        var defaults = new AggregatorSettings();
        var none = Aggregator(Environment("{}"));
        Assert.Equal((defaults.RemotePort, defaults.HttpUrl, defaults.StaleAfter), (none.RemotePort, none.HttpUrl, none.StaleAfter));
    }

    [Fact]
    public void The_feed_bounds_come_from_appsettings_or_the_environment_in_bytes_and_bad_ones_are_refused()
    {
        var file = Aggregator(Environment("""{ "Aggregator": { "FeedClientBytes": "8MiB", "FeedHistoryBytes": "65536" } }"""));
        Assert.Equal((8L << 20, 64L << 10), (file.FeedClientBytes, file.FeedHistoryBytes));
        Assert.Equal((file.FeedClientBytes, file.FeedHistoryBytes), (file.Feed.ClientBytes, file.Feed.HistoryBytes));
        var env = Aggregator(Environment("{}", ("GODO_AGGREGATOR__FEEDCLIENTBYTES", "512K")));
        Assert.Equal((512L << 10, new AggregatorSettings().FeedHistoryBytes), (env.FeedClientBytes, env.FeedHistoryBytes));
        foreach (var bad in new[] { "lots", "1K", "-4M", "2G" })
            Assert.Contains("bad FeedClientBytes", Assert.Throws<UsageException>(() => Aggregator(Environment("{}", ("GODO_AGGREGATOR__FEEDCLIENTBYTES", bad)))).Message);
    }

    [Fact]
    public void A_list_from_a_higher_layer_replaces_the_whole_list_below()
    {
        const string json = """{ "Aggregator": { "Seeds": [ "akka.tcp://godo@a:1", "akka.tcp://godo@b:1", "akka.tcp://godo@c:1" ] } }""";
        Assert.Equal(["akka.tcp://godo@a:1", "akka.tcp://godo@b:1", "akka.tcp://godo@c:1"], Aggregator(Environment(json)).Seeds);
        var env = Environment(json, ("GODO_SEEDS", "akka.tcp://godo@x:1, akka.tcp://godo@y:1"));
        Assert.Equal(["akka.tcp://godo@x:1", "akka.tcp://godo@y:1"], Aggregator(env).Seeds);
        Assert.Equal(["akka.tcp://godo@z:1"], Aggregator(env, "--seed", "akka.tcp://godo@z:1").Seeds);

        var agents = Environment("""{ "Agent": { "Aggregators": [ "akka.tcp://godo@a:1", "akka.tcp://godo@b:1" ] } }""", ("GODO_AGGREGATORS", "akka.tcp://godo@x:1"));
        Assert.Equal(["akka.tcp://godo@x:1"], Agent(agents).Aggregators);
    }

    [Fact]
    public void The_API_names_and_certificate_come_from_every_layer()
    {
        const string json = """{ "Aggregator": { "HttpHosts": [ "file.example" ], "HttpCert": "/file.crt", "HttpKey": "/file.key" } }""";
        // the list joined, since a tuple compares lists by reference
        static (string, string?, string?) Api(AggregatorSettings s) => (string.Join(",", s.HttpHosts), s.HttpCert, s.HttpKey);
        Assert.Equal(("file.example", "/file.crt", "/file.key"), Api(Aggregator(Environment(json))));
        var env = Environment(json, ("GODO_HTTP_HOSTS", "a.example, b.example"), ("GODO_HTTP_CERT", "/env.crt"), ("GODO_HTTP_KEY", "/env.key"));
        Assert.Equal(("a.example,b.example", "/env.crt", "/env.key"), Api(Aggregator(env)));
        Assert.Equal(("c.example", "/flag.crt", "/flag.key"), Api(Aggregator(env, "--http-host", "c.example", "--http-cert", "/flag.crt", "--http-key", "/flag.key")));
        Assert.Empty(Aggregator(Environment("{}")).HttpHosts);
    }

    [Fact]
    public void The_source_is_reported_as_used_wherever_it_was_set()
    {
        var log = Path.Combine(_dir, "audit.log");
        File.WriteAllText(log, "");
        var fromEnv = Agent(Environment("{}", ("GODO_SOURCE", "file:" + log)));
        Assert.Equal((SourceKind.File, log, "file:" + log), (fromEnv.Source, fromEnv.FilePath, fromEnv.SourceText));
        Assert.Equal("stdin", Agent(Environment("{}", ("GODO_SOURCE", "file:" + log)), "--source", "-").SourceText);
        Assert.Equal("netlink", Agent(Environment("""{ "Agent": { "Source": "stdin" } }"""), "--source", "netlink").SourceText);
    }

    [Fact]
    public void Section_style_variables_still_set_a_key_and_the_short_names_win()
    {
        var env = Environment("{}", ("GODO_AGGREGATOR__REMOTEPORT", "4100"), ("GODO_AGENT__HOSTNAME", "section-host"));
        Assert.Equal(4100, Aggregator(env).RemotePort);
        Assert.Equal("section-host", Agent(env).HostName);
        env["GODO_REMOTE_PORT"] = "4200";
        Assert.Equal(4200, Aggregator(env).RemotePort);
    }

    [Fact]
    public void The_exit_source_is_auto_by_default_and_audit_from_a_flag_or_GODO_EXIT_SOURCE()
    {
        Assert.Equal(ExitSourceMode.Auto, Agent(Environment("{}")).ExitSource);
        Assert.Equal(ExitSourceMode.Audit, Agent(Environment("{}"), "--exit-source", "audit").ExitSource);
        Assert.Equal(ExitSourceMode.Audit, Agent(Environment("{}", ("GODO_EXIT_SOURCE", "audit"))).ExitSource);
        Assert.Equal(ExitSourceMode.Auto, Agent(Environment("{}", ("GODO_EXIT_SOURCE", "audit")), "--exit-source", "auto").ExitSource);
        var e = Assert.Throws<UsageException>(() => Agent(Environment("{}"), "--exit-source", "kernel"));
        Assert.Equal("bad --exit-source 'kernel': use auto or audit", e.Message);
    }

    [Fact]
    public void The_argv_cap_is_32_KiB_by_default_a_size_or_off_from_any_layer_and_the_aggregator_has_its_own()
    {
        Assert.Equal(32 * 1024, Agent(Environment("{}")).Caps.ArgvBytes);
        Assert.Equal(64 * 1024, Agent(Environment("{}"), "--argv-cap", "64KiB").Caps.ArgvBytes);
        Assert.Equal(1024 * 1024, Agent(Environment("{}", ("GODO_ARGV_CAP", "1M"))).Caps.ArgvBytes);
        Assert.False(Agent(Environment("""{ "Agent": { "ArgvCap": "off" } }""")).Caps.CapsArgv);
        Assert.Equal(8L * 1024 * 1024, Agent(Environment("{}")).PublishBufferBytes);
        Assert.Equal(2L * 1024 * 1024, Agent(Environment("{}", ("GODO_PUBLISH_BUFFER", "2MiB"))).PublishBufferBytes);
        Assert.Equal(32 * 1024, Aggregator(Environment("{}", ("GODO_ARGV_CAP", "1M"))).Caps.ArgvBytes); // the agent's variable
        Assert.Equal(4096, Aggregator(Environment("{}", ("GODO_AGGREGATOR__ARGVCAP", "4096"))).Caps.ArgvBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), Aggregator(Environment("{}")).TreeRetention);
        Assert.Equal(TimeSpan.FromSeconds(60), Aggregator(Environment("{}", ("GODO_TREE_RETENTION", "60"))).TreeRetention);

        var e = Assert.Throws<UsageException>(() => Agent(Environment("{}"), "--argv-cap", "100"));
        Assert.Equal("bad --argv-cap '100': give off, or from 4KiB to 64MiB", e.Message);
        e = Assert.Throws<UsageException>(() => Agent(Environment("{}"), "--argv-cap", "lots"));
        Assert.Equal("bad --argv-cap 'lots': give a size like 32768, 32KiB, 8MiB or 10GiB", e.Message);
        e = Assert.Throws<UsageException>(() => Agent(Environment("{}", ("GODO_PUBLISH_BUFFER", "1k"))));
        Assert.Equal("bad --publish-buffer '1k': give at least 64KiB", e.Message);
    }

    [Fact]
    public void A_bad_value_from_any_layer_is_one_line_naming_the_setting()
    {
        var e = Assert.Throws<UsageException>(() => Agent(Environment("{}", ("GODO_AUDIT_MODE", "sometimes"))));
        Assert.Equal("bad --audit-mode 'sometimes': use auto, unicast or multicast", e.Message);
        e = Assert.Throws<UsageException>(() => Agent(Environment("""{ "Agent": { "ReconcileEvery": "soon" } }""")));
        Assert.Equal("bad --reconcile-every 'soon': give a duration like 500ms, 5s, 2m", e.Message);
        e = Assert.Throws<UsageException>(() => Agent(Environment("{}"), "--aggregator", "10.0.0.1:4053"));
        Assert.Equal("bad --aggregator '10.0.0.1:4053': give akka.tcp://godo@HOST:PORT", e.Message);
        e = Assert.Throws<UsageException>(() => Aggregator(Environment("{}", ("GODO_REMOTE_PORT", "70000"))));
        Assert.Equal("bad --remote-port '70000': give a port number (0-65535)", e.Message);
        e = Assert.Throws<UsageException>(() => Aggregator(Environment("""{ "Aggregator": { "StaleAfter": "later" } }""")));
        Assert.Equal("bad --stale-after 'later': give seconds (e.g. 30), hours (12h), days (7d) or hh:mm:ss", e.Message);
    }

    [Fact]
    public void TLS_files_come_from_any_layer_all_three_together_and_an_agent_certificate_must_name_its_host()
    {
        using var ca = FleetCertificates.CreateCa();
        FleetCertificates.Write(ca, Path.Combine(_dir, "ca.crt"), Path.Combine(_dir, "ca.key"));
        foreach (var (name, role) in new[] { ("agg-1", FleetRole.Aggregator), ("web-1", FleetRole.Agent) })
            using (var cert = FleetCertificates.Issue(ca, name, role))
                FleetCertificates.Write(cert, Path.Combine(_dir, name + ".crt"), Path.Combine(_dir, name + ".key"));
        (string, string)[] Vars(string name) =>
            [("GODO_TLS_CERT", Path.Combine(_dir, name + ".crt")), ("GODO_TLS_KEY", Path.Combine(_dir, name + ".key")), ("GODO_TLS_CA", Path.Combine(_dir, "ca.crt"))];

        Assert.Null(Aggregator(Environment("{}")).Tls);
        Assert.Equal(("agg-1", FleetRole.Aggregator), (Aggregator(Environment("{}", Vars("agg-1"))).Tls!.Name, Aggregator(Environment("{}", Vars("agg-1"))).Tls!.Role));
        var json = $$"""{ "Tls": { "Cert": "{{Path.Combine(_dir, "web-1.crt")}}", "Key": "{{Path.Combine(_dir, "web-1.key")}}", "Ca": "{{Path.Combine(_dir, "ca.crt")}}" } }""";
        Assert.Equal("web-1", Agent(Environment(json), "--host-name", "web-1").Tls!.Name);

        var e = Assert.Throws<UsageException>(() => Agent(Environment(json), "--host-name", "web-2"));
        Assert.Contains("names 'web-1', not this host 'web-2'", e.Message);
        e = Assert.Throws<UsageException>(() => Aggregator(Environment(json)));
        Assert.Contains("has role agent, expected aggregator", e.Message);
        e = Assert.Throws<UsageException>(() => Aggregator(Environment("{}", ("GODO_TLS_CERT", "x.crt"))));
        Assert.Equal("TLS needs all three of --tls-cert, --tls-key and --tls-ca", e.Message);
        Assert.True(Aggregator(Environment("{}", ("GODO_INSECURE_REMOTING", "true"))).InsecureRemoting);
    }

    [Fact]
    public void Downing_crashed_members_at_once_is_on_unless_turned_off()
    {
        Assert.True(Aggregator(Environment("{}")).DownCrashedMembers);
        Assert.False(Aggregator(Environment("""{ "Aggregator": { "DownCrashedMembers": "false" } }""")).DownCrashedMembers);
        Assert.False(Aggregator(Environment("{}", ("GODO_AGGREGATOR__DOWNCRASHEDMEMBERS", "false"))).DownCrashedMembers);
        var e = Assert.Throws<UsageException>(() => Aggregator(Environment("""{ "Aggregator": { "DownCrashedMembers": "maybe" } }""")));
        Assert.Equal("bad DownCrashedMembers 'maybe': give true or false", e.Message);
    }

    [Fact]
    public void Agents_bind_where_asked_and_host_names_are_DNS_like()
    {
        var agent = Agent(Environment("""{ "Agent": { "RemoteHost": "10.0.0.5", "RemotePort": "4100", "PublicHost": "web-1.example" } }"""));
        Assert.Equal(("10.0.0.5", 4100, "web-1.example"), (agent.RemoteHost, agent.RemotePort, agent.PublicHost));
        var e = Assert.Throws<UsageException>(() => Agent(Environment("{}"), "--host-name", "web 1"));
        Assert.StartsWith("bad --host-name: host name 'web 1'", e.Message);
        Assert.Throws<UsageException>(() => Agent(Environment("{}"), "--host-name", new string('a', 254)));
    }
}
