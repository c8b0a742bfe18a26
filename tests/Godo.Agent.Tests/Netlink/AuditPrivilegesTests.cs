using Godo.Agent.Netlink;

namespace Godo.Agent.Tests.Netlink;

/// <summary>
/// Capability parsing and the permission message, without dropping the test process's privileges (a .NET test
/// host cannot easily re-exec itself under setpriv), plus the pure mode decision.
/// </summary>
public class AuditPrivilegesTests
{
    private const string RootStatus = "Name:\tdotnet\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n";
    private const string NobodyStatus = "Name:\tdotnet\nUid:\t65534\t65534\t65534\t65534\nCapEff:\t0000000000000000\n";

    [Fact]
    public void Parses_CapEff_hex()
    {
        ulong caps = AuditPrivileges.ParseEffectiveCapabilities(RootStatus);
        Assert.Equal(0x1ffffffffffUL, caps);
        Assert.True(AuditPrivileges.Has(caps, AuditPrivileges.CapAuditControl));
        Assert.True(AuditPrivileges.Has(caps, AuditPrivileges.CapAuditRead));
        Assert.Equal(0UL, AuditPrivileges.ParseEffectiveCapabilities(NobodyStatus));
        Assert.Throws<FormatException>(() => AuditPrivileges.ParseEffectiveCapabilities("Name:\tx\n"));
    }

    [Fact]
    public void Reads_the_test_process_own_capabilities()
    {
        // The suite runs as root with the audit capabilities; this only checks the real file parses.
        ulong caps = AuditPrivileges.ReadEffectiveCapabilities();
        Assert.True(AuditPrivileges.Has(caps, AuditPrivileges.CapAuditControl));
    }

    [Fact]
    public void Nothing_missing_gives_no_message()
    {
        Assert.Null(AuditPrivileges.DescribeMissing(0x1ffffffffffUL, 0, needControl: true, needRead: true, out var missing));
        Assert.Empty(missing);
    }

    [Fact]
    public void Non_root_without_caps_gets_one_line_naming_both_capabilities_and_the_uid()
    {
        var msg = AuditPrivileges.DescribeMissing(0, 65534, needControl: true, needRead: true, out var missing);
        Assert.NotNull(msg);
        Assert.DoesNotContain('\n', msg);
        Assert.Contains("CAP_AUDIT_CONTROL", msg);
        Assert.Contains("CAP_AUDIT_READ", msg);
        Assert.Contains("uid 65534, not root", msg);
        Assert.Equal(new[] { "CAP_AUDIT_CONTROL", "CAP_AUDIT_READ" }, missing);
    }

    [Fact]
    public void Root_with_audit_read_dropped_is_told_only_about_audit_read()
    {
        ulong caps = 0x1ffffffffffUL & ~(1UL << AuditPrivileges.CapAuditRead);
        var msg = AuditPrivileges.DescribeMissing(caps, 0, needControl: true, needRead: true, out var missing);
        Assert.Equal(new[] { "CAP_AUDIT_READ" }, missing);
        Assert.DoesNotContain("CAP_AUDIT_CONTROL", msg);
        Assert.Contains("running as root but without them", msg);
        // Unicast does not need CAP_AUDIT_READ.
        Assert.Null(AuditPrivileges.DescribeMissing(caps, 0, needControl: true, needRead: false, out _));
    }

    [Fact]
    public void Permission_exception_carries_the_message_and_missing_list()
    {
        var msg = AuditPrivileges.DescribeMissing(0, 1000, true, false, out var missing)!;
        var e = new AuditPermissionException(msg, missing);
        Assert.Equal(msg, e.Message);
        Assert.StartsWith("godo cannot use kernel audit: missing CAP_AUDIT_CONTROL", e.Message);
    }

    private static AuditStatus Status(uint enabled, uint pid) => new() { Enabled = enabled, Pid = pid, Length = 44 };

    [Theory]
    [InlineData(1u, 0u, AuditMode.Unicast)]      // nobody registered
    [InlineData(0u, 0u, AuditMode.Unicast)]
    [InlineData(1u, 500u, AuditMode.Multicast)]  // live auditd
    [InlineData(1u, 999u, AuditMode.Unicast)]    // registered pid is dead (crashed daemon)
    [InlineData(1u, 100u, AuditMode.Unicast)]    // registered pid is ourselves (earlier session)
    [InlineData(2u, 0u, AuditMode.Multicast)]    // locked
    public void Auto_mode_decision(uint enabled, uint pid, AuditMode expected)
    {
        var mode = AuditKernelSession.ChooseMode(AuditMode.Auto, Status(enabled, pid), self: 100, isAlive: p => p == 500 || p == 100, out uint other);
        Assert.Equal(expected, mode);
        Assert.Equal(pid == 500 ? 500u : 0u, other);
    }

    [Fact]
    public void Unicast_demanded_on_a_locked_config_or_beside_a_live_daemon_is_a_clear_error()
    {
        var locked = Assert.Throws<AuditModeUnavailableException>(() =>
            AuditKernelSession.ChooseMode(AuditMode.Unicast, Status(2, 0), 100, _ => false, out _));
        Assert.Contains("locked (enabled=2)", locked.Message);
        var busy = Assert.Throws<AuditModeUnavailableException>(() =>
            AuditKernelSession.ChooseMode(AuditMode.Unicast, Status(1, 500), 100, p => p == 500, out _));
        Assert.Contains("pid 500", busy.Message);
        Assert.Equal(AuditMode.Multicast, AuditKernelSession.ChooseMode(AuditMode.Multicast, Status(2, 0), 100, _ => false, out _));
    }
}
