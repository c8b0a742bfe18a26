using Microsoft.Playwright;

namespace Godo.EndToEnd.Tests.Dashboard;

/// <summary>One standalone godo and one headless Debian chromium (driven by Playwright, never a downloaded browser) for the dashboard tests.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public StandaloneGodo Godo { get; } = new();
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: run scripts/setup.sh (it installs Debian's chromium)");
        await Godo.InitializeAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Browser is not null) await Browser.CloseAsync();
            Playwright?.Dispose();
        }
        finally
        {
            await Godo.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context at 1280×800 with the page open at /?token=…, collecting console errors and page errors.</summary>
    public async Task<DashboardPage> OpenAsync(ColorScheme scheme = ColorScheme.Dark, string query = "")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = scheme,
        });
        var page = await context.NewPageAsync();
        var d = new DashboardPage(context, page);
        await page.GotoAsync($"{Godo.BaseUrl}/?token={Uri.EscapeDataString(Godo.Token)}{query}");
        // live: the event stream is open; and the standalone host is listed
        await page.Locator("#live[data-state=live]").WaitForAsync(new() { Timeout = 15_000 });
        await page.Locator($"#hosts tr[data-host='{Godo.Host}']").WaitForAsync(new() { Timeout = 15_000 });
        return d;
    }
}

/// <summary>An open dashboard and every console error or uncaught exception it produced.</summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    public DashboardPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, m) => { if (m.Type == "error") lock (_errors) _errors.Add($"console.error: {m.Text} ({m.Location})"); };
        page.PageError += (_, e) => { lock (_errors) _errors.Add($"page error: {e}"); };
    }

    public IReadOnlyList<string> Errors { get { lock (_errors) return _errors.ToList(); } }

    public void AssertNoErrors() => Assert.True(Errors.Count == 0, "the page logged errors:\n" + string.Join("\n", Errors));

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
