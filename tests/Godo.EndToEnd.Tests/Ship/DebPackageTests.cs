using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Godo.EndToEnd.Tests.Ship;

/// <summary>The .deb on a Debian that has no .NET at all: it installs, runs, replays, and its units verify.</summary>
[Collection(ShipCollection.Name)]
public class DebPackageTests(ShipFixture ship, ITestOutputHelper output)
{
    private const string Corpus = "tests/Godo.Agent.Tests/Data/corpus/docker-basic/audit.log";

    [Fact]
    public async Task The_deb_installs_on_a_fresh_Debian_without_dotnet_and_replays_a_corpus_like_the_source_build()
    {
        // Everything in one container run: install, the checks, and the replay's JSON last (after a marker line).
        const string script = """
            set -e
            ! command -v dotnet
            dpkg -i /dist/godo.deb
            godo --version
            getent passwd godo
            test -f /etc/godo/appsettings.json
            dpkg-query -W -f='${Conffiles}\n' godo
            # verify exits 0 on some findings: anything it prints is one
            found=$(systemd-analyze verify --man=no /lib/systemd/system/godo-agent.service /lib/systemd/system/godo-aggregator.service 2>&1) || { echo "verify failed: $found"; exit 1; }
            [ -z "$found" ] || { echo "verify found: $found"; exit 1; }
            # godo replay hands over to the native replay: its timeline counts no method compiled by a JIT
            GODO_REPLAY_TIMING=1 godo replay /corpus/audit.log --json -q 2>&1 >/dev/null | grep "tree written" | grep -q " jit     0 methods" \
              || { echo "godo replay did not run the native replay"; exit 1; }
            echo ---replay---
            godo replay /corpus/audit.log --json -q
            """;
        var (code, text) = await Sh.RunAsync(TimeSpan.FromMinutes(5), "docker", "run", "--rm", "--network", "none",
            "-v", $"{ship.Deb}:/dist/godo.deb:ro", "-v", $"{Path.Combine(ship.RepoRoot, Corpus)}:/corpus/audit.log:ro",
            ShipFixture.DebianImage, "bash", "-c", script);
        var marker = text.IndexOf("---replay---\n", StringComparison.Ordinal);
        output.WriteLine(marker < 0 ? text : text[..marker]);
        Assert.True(code == 0, $"the install/check script failed ({code}):\n{text}");

        var head = text[..marker];
        Assert.Contains($"{ship.Version}", head); // godo --version
        Assert.Contains("godo:x:", head); // the aggregator's system user
        foreach (var conffile in new[] { "/etc/godo/appsettings.json", "/etc/godo/agent.env", "/etc/godo/aggregator.env" })
            Assert.Contains(conffile, head);

        var packaged = JsonNode.Parse(text[(marker + "---replay---\n".Length)..])!;
        // ./godo builds from source first when it must (and says so on stderr): stdout is the document alone.
        var source = JsonNode.Parse(await Sh.OutAsync(Path.Combine(ship.RepoRoot, "godo"), "replay", Path.Combine(ship.RepoRoot, Corpus), "--json", "-q"))!;
        Assert.NotEmpty(packaged["processes"]!.AsArray());
        Assert.Equal(source["processes"]!.ToJsonString(), packaged["processes"]!.ToJsonString());
        Assert.Equal(source["containers"]!.ToJsonString(), packaged["containers"]!.ToJsonString());
    }

    [Fact]
    public async Task The_tarball_holds_the_self_contained_binary_and_the_dashboard()
    {
        var listing = await Sh.OutAsync("tar", "-tzf", ship.TarGz);
        var prefix = $"godo-{ship.Version}-linux-x64/";
        Assert.Contains(prefix + "godo", listing.Split('\n'));
        Assert.Contains(prefix + "godo-replay", listing.Split('\n'));
        Assert.Contains(prefix + "appsettings.json", listing.Split('\n'));
        Assert.Contains(listing.Split('\n'), l => l.StartsWith(prefix + "wwwroot/", StringComparison.Ordinal) && l.EndsWith(".html", StringComparison.Ordinal));
        var dir = Directory.CreateTempSubdirectory("godo-tar-");
        try
        {
            await Sh.OutAsync("tar", "-xzf", ship.TarGz, "-C", dir.FullName);
            // In a container with no .NET (and no network): the binary alone answers.
            var (code, text) = await Sh.RunAsync(TimeSpan.FromMinutes(2), "docker", "run", "--rm", "--network", "none",
                "-v", $"{dir.FullName}/{prefix}:/opt/godo:ro", ShipFixture.DebianImage, "/opt/godo/godo", "--version");
            Assert.True(code == 0, text);
            Assert.StartsWith(ship.Version, text.Trim());
            // The native replay beside it runs there too.
            (code, text) = await Sh.RunAsync(TimeSpan.FromMinutes(2), "docker", "run", "--rm", "--network", "none",
                "-v", $"{dir.FullName}/{prefix}:/opt/godo:ro", ShipFixture.DebianImage, "/opt/godo/godo-replay", "--version");
            Assert.True(code == 0, text);
            Assert.StartsWith(ship.Version, text.Trim());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
