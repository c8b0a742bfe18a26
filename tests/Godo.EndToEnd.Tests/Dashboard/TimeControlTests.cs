using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Godo.EndToEnd.Tests.Dashboard;

/// <summary>
/// The dashboard's past (issue 11): a moment in the URL or the picker shows the tree as it stood then, with a process
/// that has exited since; the history search finds that exited process with its exit, and its lineage up to pid 1.
/// </summary>
public sealed partial class DashboardTests
{
    [Fact]
    public async Task A_past_moment_shows_the_tree_of_then_and_the_search_finds_the_exited_process_with_its_lineage()
    {
        var name = Docker.NewName("past");
        var marker = "godo-past-" + Guid.NewGuid().ToString("N")[..8];
        DashboardPage? d = null;
        try
        {
            var id = Docker.Run("run", "-d", "--name", name, Docker.Image, "sleep", "100000");
            // a process that lives 3 s and ends with code 7; the marker is an sh comment in its argv
            Docker.Run("exec", "-d", name, "sh", "-c", $"sleep 3; exit 7 # {marker}");
            var (pid, startedAt) = await LiveProcess(marker, TimeSpan.FromSeconds(30));
            Assert.NotNull(startedAt);
            await Eventually.Until(async () => await LiveProcessOrNull(marker) is null, TimeSpan.FromSeconds(60), "the exec'd process leaves the live tree");
            var then = startedAt.Value.AddSeconds(1);   // it lived then (3 s from its start)

            // 1. a link with the moment: that container's tree then, the process that has exited since in it
            d = await f.OpenAsync(ColorScheme.Dark, $"#host={Uri.EscapeDataString(f.Godo.Host)}&container={id}&at={Uri.EscapeDataString(then.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"))}");
            var page = d.Page;
            var row = page.Locator($"#tree tbody tr[data-pid='{pid}']");
            await row.WaitForAsync(new() { Timeout = 15_000 });
            await Expect(row.Locator("td.c-argv")).ToContainTextAsync(marker);
            await Expect(page.Locator("#time-live")).Not.ToBeCheckedAsync();
            await Expect(page.Locator("#tree-meta")).ToContainTextAsync("as of ");
            await page.ScreenshotAsync(new() { Path = Path.Combine(f.Godo.ArtifactDir, "dashboard-past.png") });

            // 2. live again: it is gone; the picker brings that moment back, and the URL carries it
            await page.Locator("#time-live").CheckAsync();
            await Expect(row).ToHaveCountAsync(0, new() { Timeout = 10_000 });
            Assert.DoesNotContain("at=", new Uri(page.Url).Fragment);
            var local = await page.EvaluateAsync<string>("async t => (await import('/history.js')).toLocalInput(t)", then.ToUnixTimeMilliseconds());
            await page.Locator("#time-at").FillAsync(local);
            await row.WaitForAsync(new() { Timeout = 15_000 });
            await Expect(page.Locator("#time-live")).Not.ToBeCheckedAsync();
            Assert.Contains("at=", new Uri(page.Url).Fragment);

            // 3. the search over the last 15 minutes finds it, exited, with its code
            await page.Locator("#search-argv").FillAsync(marker);
            await page.Locator("#search-go").ClickAsync();
            var found = page.Locator($"#search tbody tr[data-pid='{pid}']");
            await found.WaitForAsync(new() { Timeout = 15_000 });
            await Expect(found).ToHaveAttributeAsync("data-exited", "true");
            await Expect(found.Locator("td").Nth(6)).ToHaveTextAsync("code 7");
            // (the host's `docker exec` command line holds the marker too: it is found as well)
            await Expect(page.Locator("#search tbody tr td.c-argv", new() { HasTextString = marker }).First).ToBeVisibleAsync();

            // 4. its lineage on click: pid 1 first, down to it
            await found.ClickAsync();
            var chain = page.Locator("#lineage li");
            await Expect(chain.Last).ToHaveAttributeAsync("data-pid", pid.ToString(), new() { Timeout = 15_000 });
            await Expect(chain.First).ToHaveAttributeAsync("data-pid", "1");
            Assert.True(await chain.CountAsync() >= 3, "pid 1, the shim, the process");
            await Expect(chain.Last).ToContainTextAsync(marker);
            await page.ScreenshotAsync(new() { Path = Path.Combine(f.Godo.ArtifactDir, "dashboard-history.png") });
            d.AssertNoErrors();
        }
        finally
        {
            Docker.RemoveQuietly(name);
            if (d is not null)
            {
                await SaveOnFailure(d, nameof(A_past_moment_shows_the_tree_of_then_and_the_search_finds_the_exited_process_with_its_lineage));
                await d.DisposeAsync();
            }
        }
    }

    /// <summary>The pid and start of the live process whose argv holds <paramref name="marker"/>, once the API shows it.</summary>
    private async Task<(int Pid, DateTimeOffset? StartedAt)> LiveProcess(string marker, TimeSpan timeout)
    {
        (int, DateTimeOffset?)? found = null;
        await Eventually.Until(async () => (found = await LiveProcessOrNull(marker)) is not null, timeout, "the exec'd process is in the live tree");
        return found!.Value;
    }

    private async Task<(int, DateTimeOffset?)?> LiveProcessOrNull(string marker)
    {
        using var doc = JsonDocument.Parse(await f.Godo.Http.GetStringAsync($"/api/hosts/{Uri.EscapeDataString(f.Godo.Host)}/tree"));
        foreach (var p in doc.RootElement.GetProperty("processes").EnumerateArray())
            if (p.TryGetProperty("argv", out var argv) && argv.EnumerateArray().Any(a => a.GetString()!.Contains(marker, StringComparison.Ordinal))
                && p.GetProperty("comm").GetString() == "sh")
                return (p.GetProperty("pid").GetInt32(), p.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String ? s.GetDateTimeOffset() : null);
        return null;
    }
}
