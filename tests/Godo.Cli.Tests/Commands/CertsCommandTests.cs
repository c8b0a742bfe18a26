using Godo.Messages.Security;

namespace Godo.Cli.Tests.Commands;

/// <summary>`godo certs init|issue` as a user runs them: files, modes, refusals, one-line errors.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CertsCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "godo-certs-cli-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static Task<(int Code, string Out, string Err)> Godo(params string[] args) => GodoCli.RunAsync(args);

    [Fact]
    public async Task Init_and_issue_make_a_fleet_and_refuse_to_overwrite_without_force()
    {
        Assert.Equal(0, (await Godo("certs", "init", _dir)).Code);
        Assert.Equal(0, (await Godo("certs", "issue", _dir, "web-01", "--role", "agent")).Code);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "web-01.key")));
        var trust = FleetTrust.Load(new TlsFiles(Path.Combine(_dir, "web-01.crt"), Path.Combine(_dir, "web-01.key"), Path.Combine(_dir, "ca.crt")), FleetRole.Agent);
        Assert.Equal("web-01", trust.Name);

        var again = await Godo("certs", "issue", _dir, "web-01", "--role", "agent");
        Assert.Equal((2, $"godo: {Path.Combine(_dir, "web-01.crt")} exists; give --force to replace it"), (again.Code, again.Err.Trim()));
        Assert.Equal(0, (await Godo("certs", "issue", _dir, "web-01", "--role", "agent", "--force")).Code);
        Assert.Equal(2, (await Godo("certs", "init", _dir)).Code);

        var role = await Godo("certs", "issue", _dir, "agg-1", "--role", "admin");
        Assert.Equal((2, "godo: bad --role 'admin': use agent or aggregator"), (role.Code, role.Err.Trim()));
        var name = await Godo("certs", "issue", _dir, "web_01", "--role", "agent");
        Assert.Equal(2, name.Code);
        Assert.Single(name.Err.Trim().Split('\n'));
        var noCa = await Godo("certs", "issue", Path.Combine(_dir, "nope"), "x", "--role", "agent");
        Assert.Contains("run `godo certs init", noCa.Err);
    }
}
