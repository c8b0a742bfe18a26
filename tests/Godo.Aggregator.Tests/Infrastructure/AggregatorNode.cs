using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Godo.Aggregator.Hosts;
using Godo.Aggregator.Storage;
using Godo.Aggregator.Hosting;
using Godo.Aggregator.Ops;
using Godo.Messages.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Godo.Messages.Api;

namespace Godo.Aggregator.Tests.Infrastructure;

/// <summary>An aggregator (ActorSystem "godo" + Kestrel) in this process, on loopback with free ports.</summary>
public sealed class AggregatorNode : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = ApiJson.Configure(new JsonSerializerOptions());

    private AggregatorNode(WebApplication app, AggregatorSettings settings)
    {
        App = app;
        Settings = settings;
    }

    public WebApplication App { get; }
    public AggregatorSettings Settings { get; }
    public ActorSystem System => App.Services.GetRequiredService<ActorSystem>();
    /// <summary>The hosts whose entity runs on this member.</summary>
    public HostsHeld Fleet => App.Services.GetRequiredService<HostsHeld>();
    public HostDirectory Directory => App.Services.GetRequiredService<HostDirectory>();
    public AggregatorMetrics Metrics => App.Services.GetRequiredService<AggregatorMetrics>();
    public Address Address => Cluster.Get(System).SelfAddress;
    public string BaseUrl { get; private set; } = "";
    public HttpClient Http { get; private set; } = null!;
    public bool Crashed { get; private set; }

    public static async Task<AggregatorNode> StartAsync(AggregatorSettings? settings = null, params Address[] seeds)
    {
        settings ??= new AggregatorSettings();
        settings = settings with
        {
            // A test may fix the port (an aggregator that restarts where agents know it); else any free one.
            RemoteHost = "127.0.0.1", RemotePort = settings.RemotePort == Godo.Messages.GodoConstants.DefaultRemotePort ? 0 : settings.RemotePort,
            HttpUrl = settings.HttpUrl == Godo.Messages.GodoConstants.DefaultHttpUrl ? "http://127.0.0.1:0" : settings.HttpUrl,
            Seeds = seeds.Length > 0 ? seeds.Select(s => s.ToString()).ToList() : settings.Seeds,
            // A store of its own unless the test gives one: never the machine's /var/lib/godo.
            Storage = settings.Storage.DataDir == new Godo.Aggregator.Storage.StorageSettings().DataDir && settings.Storage.Journal is null
                ? settings.Storage with { DataDir = Path.Combine(Path.GetTempPath(), "godo-node-" + Guid.NewGuid().ToString("N")) }
                : settings.Storage,
        };
        var app = AggregatorWeb.Build(settings);
        var node = new AggregatorNode(app, settings);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        node.BaseUrl = address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1");
        node.Http = new HttpClient { BaseAddress = new Uri(node.BaseUrl), Timeout = TimeSpan.FromSeconds(20) };
        if (settings.ApiToken is { } token) node.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return node;
    }

    public async Task WaitUpAsync(int members, TimeSpan timeout)
    {
        await Eventually.Until(() =>
        {
            var state = Cluster.Get(System).State;
            return Task.FromResult(state.Members.Count(m => m.Status == MemberStatus.Up) == members && state.Unreachable.Count == 0);
        }, timeout, $"{members} members up on {Address}");
    }

    public async Task<HostTree?> TreeAsync(string host)
    {
        using var resp = await Http.GetAsync($"/api/hosts/{Uri.EscapeDataString(host)}/tree");
        if (!resp.IsSuccessStatusCode) return null;
        return JsonSerializer.Deserialize(await resp.Content.ReadAsStringAsync(), GodoJsonContext.Default.HostTree);
    }

    public async Task<T> GetAsync<T>(string url) =>
        (await Http.GetFromJsonAsync<T>(url, Json))!;

    /// <summary>A crash: the ActorSystem ends without leaving the cluster (no CoordinatedShutdown), then the web server stops.</summary>
    public async Task CrashAsync()
    {
        Crashed = true;
        await System.Terminate();
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await App.StopAsync(cts.Token);
        }
        catch (Exception) { /* already stopped */ }
        await App.DisposeAsync();
        if (Settings.Storage.DataDir.StartsWith(Path.Combine(Path.GetTempPath(), "godo-node-"), StringComparison.Ordinal))
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { global::System.IO.Directory.Delete(Settings.Storage.DataDir, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }
}
