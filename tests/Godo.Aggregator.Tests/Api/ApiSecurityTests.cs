using System.Net;
using System.Text;
using System.Text.Json;
using Akka.Cluster;
using Godo.Aggregator.Api;
using Godo.Aggregator.Hosting;
using Godo.Aggregator.Tests.Infrastructure;
using Godo.Cli.Client;

namespace Godo.Aggregator.Tests.Api;

public sealed class ApiSecurityTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://127.8.9.10:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://127.0.0.1:5080;http://[::1]:5080", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://[::]:5080", false)]
    [InlineData("http://aggregator-1.internal:5080", false)]
    [InlineData("http://127.0.0.1:5080;http://0.0.0.0:5081", false)]
    public void Only_loopback_addresses_count_as_loopback(string urls, bool loopback) =>
        Assert.Equal(loopback, ApiSecurity.IsLoopbackOnly(urls));

    [Fact]
    public void Off_loopback_without_a_token_refuses_to_start()
    {
        var e = Assert.Throws<AggregatorConfigException>(() => ApiSecurity.Validate("http://0.0.0.0:5080", null));
        Assert.Contains("GODO_API_TOKEN", e.Message);
        ApiSecurity.Validate("http://0.0.0.0:5080", "a-long-enough-token");
        ApiSecurity.Validate("http://127.0.0.1:5080", null);
        Assert.Throws<AggregatorConfigException>(() => ApiSecurity.Validate("http://0.0.0.0:5080", "short"));
        Assert.Throws<AggregatorConfigException>(() => ApiSecurity.Validate("ftp://127.0.0.1", null));
        // and the whole aggregator refuses too, before binding anything
        Assert.Throws<AggregatorConfigException>(() => AggregatorWeb.Build(new AggregatorSettings { HttpUrl = "http://0.0.0.0:0", RemotePort = 0 }));
    }

    [Fact]
    public async Task Bound_off_loopback_every_request_needs_the_token()
    {
        const string token = "s3cret-token-for-tests";
        // Kestrel listens on every interface; the test only ever talks to 127.0.0.1.
        await using var node = await AggregatorNode.StartAsync(new AggregatorSettings { HttpUrl = "http://0.0.0.0:0", ApiToken = token });
        Assert.StartsWith("http://127.0.0.1:", node.BaseUrl);
        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };

        foreach (var path in new[] { "/api/hosts", "/api/cluster", "/api/processes", "/metrics", "/ops/actors", "/" })
        {
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("\"error\"", await refused.Content.ReadAsStringAsync());
        }
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/hosts") { Headers = { { "Authorization", "Bearer not-the-token" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);
        using var leave = await anonymous.PostAsync("/api/cluster/leave", null);
        Assert.Equal(HttpStatusCode.Unauthorized, leave.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/api/hosts")).StatusCode); // Authorization: Bearer
        // a browser: ?token= once, then the cookie
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(node.BaseUrl) };
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/api/hosts?token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/cluster")).StatusCode);
        // probes stay open: they reveal nothing
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz/live")).StatusCode);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? host = null, string? origin = null,
        string? fetchSite = null, string? contentType = null)
    {
        var req = new HttpRequestMessage(method, path);
        if (host is not null) req.Headers.Host = host;
        if (origin is not null) req.Headers.Add("Origin", origin);
        if (fetchSite is not null) req.Headers.Add("Sec-Fetch-Site", fetchSite);
        if (contentType is not null) req.Content = new StringContent(contentType.Contains("json") ? "{}" : "x", Encoding.UTF8, contentType);
        return req;
    }

    private static async Task AssertError(HttpResponseMessage resp, HttpStatusCode status)
    {
        var body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == status, $"{(int)resp.StatusCode} instead of {(int)status}: {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal((int)status, json.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_cross_site_or_non_JSON_POST_is_refused_and_the_aggregator_stays()
    {
        await using var node = await AggregatorNode.StartAsync();
        await node.WaitUpAsync(1, TimeSpan.FromSeconds(20));
        var self = node.BaseUrl.TrimEnd('/');
        // the curl: a page's text/plain form post from another origin
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", origin: "http://attacker.example", contentType: "text/plain")), HttpStatusCode.Forbidden);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", origin: "http://attacker.example", contentType: "application/json")), HttpStatusCode.Forbidden);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", origin: "null", contentType: "application/json")), HttpStatusCode.Forbidden);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", fetchSite: "cross-site", contentType: "application/json")), HttpStatusCode.Forbidden);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", fetchSite: "same-site", contentType: "application/json")), HttpStatusCode.Forbidden);
        // same origin, but not JSON (a form): refused too; so is a POST without a body
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", origin: self, contentType: "application/x-www-form-urlencoded")), HttpStatusCode.UnsupportedMediaType);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", contentType: "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave")), HttpStatusCode.UnsupportedMediaType);

        await Task.Delay(1000);
        Assert.Equal(MemberStatus.Up, Cluster.Get(node.System).SelfMember.Status);
        Assert.Contains("\"status\":\"up\"", await node.Http.GetStringAsync("/api/cluster"));

        // the page itself (same origin, or a same-origin fetch) may
        using var same = await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/down?address=akka.tcp://godo@127.0.0.1:1", origin: self, fetchSite: "same-origin", contentType: "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, same.StatusCode); // past the guards: not a member
    }

    [Fact]
    public async Task The_CLI_POSTs_are_accepted()
    {
        await using var node = await AggregatorNode.StartAsync();
        await node.WaitUpAsync(1, TimeSpan.FromSeconds(20));
        var (code, _, err) = await GodoCli.RunAsync("cluster", "down", "akka.tcp://godo@127.0.0.1:1", "--server", node.BaseUrl);
        Assert.Equal((2, "godo: akka.tcp://godo@127.0.0.1:1 is not a member of this cluster"), (code, err.Trim()));
        (code, var output, err) = await GodoCli.RunAsync("cluster", "leave", "--server", node.BaseUrl);
        Assert.True(code == 0, err);
        Assert.Equal($"{node.Address}: leaving", output.Trim());
        await Eventually.Until(() => Task.FromResult(node.System.WhenTerminated.IsCompleted), TimeSpan.FromSeconds(20), "the aggregator left and stopped");
    }

    [Fact]
    public async Task A_foreign_Host_is_refused_for_the_API_and_the_page_but_not_the_probes()
    {
        await using var node = await AggregatorNode.StartAsync(new AggregatorSettings { HttpHosts = ["godo.example", "proxy.example:8443"] });
        var port = new Uri(node.BaseUrl).Port;
        foreach (var path in new[] { "/api/processes", "/api/hosts", "/api/events", "/", "/index.html", "/metrics", "/ops/actors", "/api/nope" })
        foreach (var host in new[] { "attacker.example", $"attacker.example:{port}", $"127.0.0.1:{port + 1}", "127.0.0.1", "proxy.example:9999", $"localhost.attacker.example:{port}" })
            await AssertError(await node.Http.SendAsync(Request(HttpMethod.Get, path, host: host)), (HttpStatusCode)421);
        await AssertError(await node.Http.SendAsync(Request(HttpMethod.Post, "/api/cluster/leave", host: "attacker.example", contentType: "application/json")), (HttpStatusCode)421);
        Assert.Equal(MemberStatus.Up, Cluster.Get(node.System).SelfMember.Status);

        foreach (var host in new[] { $"127.0.0.1:{port}", $"localhost:{port}", $"LOCALHOST:{port}", $"[::1]:{port}", "godo.example", $"godo.example:{port}", "proxy.example:8443" })
        {
            using var ok = await node.Http.SendAsync(Request(HttpMethod.Get, "/api/hosts", host: host));
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"Host {host}: {(int)ok.StatusCode}");
        }
        using var probe = await node.Http.SendAsync(Request(HttpMethod.Get, "/healthz/live", host: "10.1.2.3:8080"));
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.Throws<AggregatorConfigException>(() => AggregatorWeb.Build(new AggregatorSettings { HttpUrl = "http://127.0.0.1:0", RemotePort = 0, HttpHosts = ["http://x/"] }));
    }

    [Fact]
    public async Task A_wrong_method_on_a_known_route_is_a_JSON_405()
    {
        await using var node = await AggregatorNode.StartAsync();
        foreach (var (method, path, allow) in new[]
                 {
                     ("GET", "/api/cluster/leave", "POST"), ("GET", "/api/cluster/down", "POST"), ("DELETE", "/api/hosts", "GET"),
                     ("PUT", "/api/hosts/web-01/tree", "GET"), ("POST", "/api/processes", "GET"), ("POST", "/api/containers/abc", "GET"),
                     ("POST", "/metrics", "GET"), ("DELETE", "/ops/actors", "GET"), ("POST", "/healthz/live", "GET, HEAD"),
                     ("POST", "/", "GET, HEAD"), ("DELETE", "/app.css", "GET, HEAD"),
                 })
        {
            using var resp = await node.Http.SendAsync(Request(new HttpMethod(method), path, contentType: "application/json"));
            await AssertError(resp, HttpStatusCode.MethodNotAllowed);
            Assert.Equal(allow, string.Join(", ", resp.Content.Headers.Allow));
        }
        using var unknown = await node.Http.DeleteAsync("/api/no-such-thing");
        await AssertError(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_page_and_the_API_send_the_security_headers()
    {
        await using var node = await AggregatorNode.StartAsync();
        foreach (var path in new[] { "/", "/main.js", "/app.css", "/api/hosts", "/api/nope", "/metrics" })
        {
            using var resp = await node.Http.GetAsync(path);
            var csp = string.Join(";", resp.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.Equal("DENY", Assert.Single(resp.Headers.GetValues("X-Frame-Options")));
            Assert.Equal("nosniff", Assert.Single(resp.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(resp.Headers.GetValues("Referrer-Policy")));
        }
        using var refused = await node.Http.SendAsync(Request(HttpMethod.Get, "/api/hosts", host: "attacker.example"));
        Assert.Equal("DENY", Assert.Single(refused.Headers.GetValues("X-Frame-Options")));
        // the page has nothing the policy forbids: no inline script, style or handler
        var page = await node.Http.GetStringAsync("/");
        Assert.DoesNotContain("style=", page);
        Assert.DoesNotContain("<style", page);
        Assert.Matches("<script type=\"module\" src=\"[^\"]+\"></script>", page);
        Assert.DoesNotMatch("<script(?![^>]*\\ssrc=)[^>]*>", page);
        Assert.DoesNotMatch("\\son[a-z]+=", page);
    }

    [Fact]
    public async Task HTTPS_with_a_certificate_serves_the_API_and_the_CLI_trusts_it_with_ca()
    {
        using var pki = new TestPki();
        await using var node = await AggregatorNode.StartAsync(new AggregatorSettings
        {
            HttpUrl = "https://127.0.0.1:0", HttpCert = pki.ServerCert, HttpKey = pki.ServerKey,
        });
        Assert.StartsWith("https://127.0.0.1:", node.BaseUrl);
        var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(pki.Ca);
        using (var client = new ApiClient(new Uri(node.BaseUrl), null, cas))
            Assert.StartsWith("[", await client.GetStringAsync("/api/hosts", CancellationToken.None));

        var (code, output, err) = await GodoCli.RunAsync("cluster", "show", "--server", node.BaseUrl, "--ca", pki.CaCert);
        Assert.True(code == 0, err);
        Assert.Contains(node.Address.ToString(), output);
        // without the CA: one line, exit 1, saying what to do
        (code, _, err) = await GodoCli.RunAsync("hosts", "--server", node.BaseUrl);
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("--ca", err);
        // the name must match too: the certificate is for 127.0.0.1 and localhost only
        var other = node.BaseUrl.Replace("127.0.0.1", "127.0.0.2");
        (code, _, _) = await GodoCli.RunAsync("hosts", "--server", other, "--ca", pki.CaCert);
        Assert.Equal(1, code);
        // a POST over HTTPS
        (code, output, err) = await GodoCli.RunAsync("cluster", "leave", "--server", node.BaseUrl.Replace("127.0.0.1", "localhost"), "--ca", pki.CaCert);
        Assert.True(code == 0, err);
        Assert.Contains("leaving", output);
    }

    [Fact]
    public async Task An_https_API_without_a_certificate_is_one_line_and_exit_2()
    {
        using var pki = new TestPki();
        var port = GodoProcess.FreePort().ToString();
        foreach (var args in new[]
                 {
                     new[] { "--http", $"https://127.0.0.1:{port}" },
                     ["--http", $"https://127.0.0.1:{port}", "--http-cert", pki.ServerCert],
                     ["--http", $"http://127.0.0.1:{port}", "--http-cert", pki.ServerCert, "--http-key", pki.ServerKey],
                     ["--http", $"https://127.0.0.1:{port}", "--http-cert", Path.Combine(pki.Dir, "missing.crt"), "--http-key", pki.ServerKey],
                     ["--http", $"https://127.0.0.1:{port}", "--http-cert", pki.ServerKey, "--http-key", pki.ServerKey],
                     ["--http", $"http://127.0.0.1:{port}", "--http-host", "http://bad/"],
                 })
        {
            var (code, _, err) = await GodoCli.RunAsync(["aggregator", "--remote-port", "0", .. args]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {err}");
            Assert.Single(err.Trim().Split('\n'));
            Assert.StartsWith("godo: ", err);
        }
    }
}
