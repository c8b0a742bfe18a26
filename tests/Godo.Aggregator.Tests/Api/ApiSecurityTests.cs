using System.Net;
using Godo.Aggregator.Api;
using Godo.Aggregator.Hosting;
using Godo.Aggregator.Tests.Infrastructure;

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
}
