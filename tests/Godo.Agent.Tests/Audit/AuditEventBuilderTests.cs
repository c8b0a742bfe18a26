using System.Text;
using Godo.Agent.Audit;

namespace Godo.Agent.Tests.Audit;

public sealed class AuditEventBuilderTests
{
    private const long T = 1795921864791;
    private const long Serial = 39505;

    private static string Syscall(string fields) => AuditText.Header("SYSCALL", T, Serial) + fields;

    private static string Execve57 =>
        "arch=c000003e syscall=59 success=yes exit=0 a0=55c2b0096a60 a1=55c2b00902c0 a2=55c2b0091360 a3=8 items=2 ppid=24510 pid=24554 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"env\" exe=\"/usr/bin/env\" key=\"godo\"";

    private static AuditEvent Build(out bool malformed, params string[] lines)
    {
        var records = new List<AuditRecord>();
        foreach (var l in lines)
        {
            Assert.Equal(MalformedReason.None, AuditLineParser.TryParseLine(Encoding.Latin1.GetBytes(l), out var r));
            records.Add(r);
        }
        return AuditEventBuilder.Build(Serial, records.ToArray(), false, out malformed);
    }

    private static AuditEvent BuildOk(params string[] lines)
    {
        var e = Build(out var malformed, lines);
        Assert.False(malformed);
        return e;
    }

    [Fact]
    public void Syscall_fields_are_decoded()
    {
        var e = BuildOk(Syscall(Execve57));
        Assert.True(e.HasSyscall);
        Assert.Equal(Serial, e.Serial);
        Assert.Equal(T, e.TimeMs);
        Assert.Equal(SyscallTable.ArchX86_64, e.Arch);
        Assert.Equal(59, e.SyscallNr);
        Assert.Equal(SyscallKind.Execve, e.Kind);
        Assert.True(e.Success);
        Assert.Equal(0L, e.Exit);
        Assert.Equal(0x55c2b0096a60UL, e.A0);
        Assert.Equal(0x8UL, e.A3);
        Assert.Equal(24554, e.Pid);
        Assert.Equal(24510, e.Ppid);
        Assert.Equal(0, e.Uid);
        Assert.Equal("env", e.Comm);
        Assert.Equal("/usr/bin/env", e.Exe);
        Assert.Equal(["godo"], e.Keys.ToArray());
    }

    [Fact]
    public void Failed_syscall_has_success_false_and_negative_exit()
    {
        var e = BuildOk(Syscall("arch=c000003e syscall=59 success=no exit=-2 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=50 uid=0 comm=\"sh\" exe=\"/bin/sh\" key=\"godo\""));
        Assert.False(e.Success);
        Assert.Equal(-2L, e.Exit);
    }

    [Fact]
    public void Exit_group_record_has_no_success_and_no_exit()
    {
        var e = BuildOk(Syscall("arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=7ffedba8b0f0 items=0 ppid=24554 pid=24555 auid=4294967295 uid=0 comm=\"sleep\" exe=\"/usr/bin/sleep\" key=\"godo\""));
        Assert.Equal(SyscallKind.ExitGroup, e.Kind);
        Assert.Null(e.Success);
        Assert.Null(e.Exit);
    }

    [Fact]
    public void Hex_comm_and_exe_with_spaces_and_non_ascii_are_decoded()
    {
        var e = BuildOk(Syscall($"arch=c000003e syscall=57 success=yes exit=7 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=50 uid=1000 comm={AuditText.Hex("my prog")} exe={AuditText.Hex("/opt/café/my prog")} key=\"godo\""));
        Assert.Equal("my prog", e.Comm);
        Assert.Equal("/opt/café/my prog", e.Exe);
        Assert.Equal(1000, e.Uid);
    }

    [Fact]
    public void Null_exe_and_key_decode_to_null_and_no_keys()
    {
        var e = BuildOk(Syscall("arch=c000003e syscall=57 success=yes exit=7 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=50 uid=0 comm=\"kthreadd\" exe=(null) key=(null)"));
        Assert.Null(e.Exe);
        Assert.Empty(e.Keys);
    }

    [Fact]
    public void Several_keys_are_split()
    {
        var e = BuildOk(Syscall($"arch=c000003e syscall=57 success=yes exit=7 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=50 uid=0 comm=\"x\" exe=\"/x\" key={AuditText.Hex("godo\u0001proc")}"));
        Assert.Equal(["godo", "proc"], e.Keys.ToArray());
    }

    [Fact]
    public void Unsigned_uid_wraps_to_int()
    {
        var e = BuildOk(Syscall("arch=c000003e syscall=57 success=yes exit=7 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=50 uid=4294967295 comm=\"x\" exe=\"/x\" key=\"godo\""));
        Assert.Equal(-1, e.Uid);
    }

    [Fact]
    public void Execve_records_of_one_serial_join_into_argv()
    {
        var bodies = AuditText.ExecveBodies(["/usr/bin/prog", new string('x', 8000), "héllo wörld ✓", ""]);
        var lines = new List<string> { Syscall(Execve57) };
        lines.AddRange(bodies.Select(b => AuditText.Header("EXECVE", T, Serial) + b));
        lines.Add(AuditText.Header("CWD", T, Serial) + $"cwd={AuditText.Hex("/home/a user")}");
        lines.Add(AuditText.Header("PATH", T, Serial) + "item=0 name=\"/usr/bin/prog\" inode=1");
        lines.Add(AuditText.Header("PROCTITLE", T, Serial) + "proctitle=" + AuditText.Proctitle(["/usr/bin/prog", "x"]));
        var e = BuildOk([.. lines]);
        Assert.Equal(["/usr/bin/prog", new string('x', 8000), "héllo wörld ✓", ""], e.Argv.ToArray());
        Assert.Equal("/home/a user", e.Cwd);
        Assert.Equal(lines.Count, e.RecordCount);
    }

    [Fact]
    public void Proctitle_hex_with_nul_separators_gives_the_arguments()
    {
        var e = BuildOk(Syscall(Execve57), AuditText.Header("PROCTITLE", T, Serial) + "proctitle=736C6565700032");
        Assert.True(e.Argv.IsDefault);
        Assert.Equal(["sleep", "2"], e.Proctitle.ToArray());
    }

    [Fact]
    public void Quoted_proctitle_is_a_single_argument()
    {
        var e = BuildOk(Syscall(Execve57), AuditText.Header("PROCTITLE", T, Serial) + "proctitle=\"containerd\"");
        Assert.Equal(["containerd"], e.Proctitle.ToArray());
    }

    [Fact]
    public void Proctitle_truncated_at_128_bytes_keeps_what_is_there()
    {
        var argv = new[] { "python3", "-c", new string('a', 200) };
        var raw = AuditText.Proctitle(argv);
        var decoded = AuditEvent.DecodeProctitle(raw);
        Assert.Equal(["python3", "-c", new string('a', 128 - "python3".Length - "-c".Length - 2)], decoded.ToArray());
    }

    [Fact]
    public void Obj_pid_records_give_signal_targets()
    {
        var e = BuildOk(
            Syscall("arch=c000003e syscall=62 success=yes exit=0 a0=602f a1=9 a2=0 a3=0 items=0 ppid=24599 pid=28084 uid=0 comm=\"runc\" exe=\"/usr/sbin/runc\" key=\"godo\""),
            AuditText.Header("OBJ_PID", T, Serial) + "opid=24623 oauid=-1 ouid=0 oses=-1 ocomm=\"sleep\"",
            AuditText.Header("OBJ_PID", T, Serial) + "opid=24624 oauid=-1 ouid=0 oses=-1 ocomm=\"sh\"");
        Assert.Equal(SyscallKind.Kill, e.Kind);
        Assert.Equal(9UL, e.A1);
        Assert.Equal([24623, 24624], e.TargetPids.ToArray());
    }

    [Fact]
    public void I386_execve_is_classified_by_its_own_table()
    {
        var e = BuildOk(Syscall("arch=40000003 syscall=11 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=1 pid=77 uid=0 comm=\"prog32\" exe=\"/opt/prog32\" key=\"godo\""));
        Assert.Equal(SyscallTable.ArchI386, e.Arch);
        Assert.Equal(SyscallKind.Execve, e.Kind);
    }

    [Fact]
    public void Eoe_record_marks_the_event_as_ended_by_eoe()
    {
        var e = BuildOk(Syscall(Execve57), AuditText.Header("EOE", T, Serial));
        Assert.True(e.EndedByEoe);
        Assert.Equal(2, e.RecordCount);
    }

    [Fact]
    public void Event_without_syscall_is_not_a_syscall_event()
    {
        var e = BuildOk(AuditText.Header("PROCTITLE", T, Serial) + "proctitle=736C6565700032");
        Assert.False(e.HasSyscall);
        Assert.Equal(SyscallKind.Other, e.Kind);
    }

    [Fact]
    public void Anom_abend_gives_the_crashed_host_pid_and_signal()
    {
        // As this kernel (6.18) writes it for a child of dash killed by SIGABRT.
        var e = BuildOk(AuditText.Header("ANOM_ABEND", T, Serial)
                        + "auid=4294967295 uid=0 gid=0 ses=4294967295 pid=12256 comm=\"sh\" exe=\"/usr/bin/dash\" sig=6 res=1");
        Assert.False(e.HasSyscall);
        Assert.Equal(0, e.Pid);
        Assert.Equal(12256, e.CrashedPid);
        Assert.Equal(6, e.CrashSignal);
        Assert.Equal(T, e.TimeMs);
    }

    [Fact]
    public void Anom_abend_cut_before_its_signal_is_malformed_and_no_crash()
    {
        var e = Build(out var malformed, AuditText.Header("ANOM_ABEND", T, Serial) + "auid=4294967295 uid=0 gid=0 ses=4294967295 pid=12256 comm=\"sh\"");
        Assert.True(malformed);
        Assert.Equal(0, e.CrashedPid);
    }

    [Fact]
    public void Wait4_returning_a_pid_is_classified_with_its_options()
    {
        var e = BuildOk(Syscall("arch=c000003e syscall=61 success=yes exit=12256 a0=ffffffff a1=7fff1c1f15ac a2=1 a3=0 items=0 ppid=11996 pid=12121 auid=4294967295 uid=0 comm=\"sh\" exe=\"/usr/bin/dash\" key=\"godo\""));
        Assert.Equal(SyscallKind.Wait4, e.Kind);
        Assert.Equal(12256L, e.Exit);
        Assert.Equal(WaitOptions.NoHang, e.A2);
    }

    [Fact]
    public void Syscall_without_pid_is_malformed_and_not_applied()
    {
        var e = Build(out var malformed, Syscall("arch=c000003e syscall=57 success=yes exit=7 key=\"godo\""));
        Assert.True(malformed);
        Assert.False(e.HasSyscall);
    }

    [Fact]
    public void Syscall_with_bad_numbers_is_malformed()
    {
        Build(out var malformed, Syscall("arch=zz syscall=57 success=yes exit=7 pid=5 ppid=1 key=\"godo\""));
        Assert.True(malformed);
        Build(out malformed, Syscall("arch=c000003e syscall=x57 pid=5 ppid=1 key=\"godo\""));
        Assert.True(malformed);
    }

    [Fact]
    public void Body_after_the_enriched_separator_is_not_read()
    {
        var e = BuildOk(Syscall(Execve57) + "\u001dARCH=x86_64 SYSCALL=execve pid=999 AUID=\"unset\"");
        Assert.Equal(24554, e.Pid);
    }

    private const string ExitGroup24555 =
        "arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=7ffedba8b0f0 items=0 ppid=24554 pid=24555 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"sleep\" exe=\"/usr/bin/sleep\" key=\"godo\"";

    [Fact]
    public void Syscall_record_cut_short_is_malformed_and_never_applied()
    {
        // The kernel ends every SYSCALL record with key=; a line cut before it may end in a cut value
        // (pid=245 for pid=24555, syscall=23 for 231) that must not be taken for the truth.
        var cut = ExitGroup24555[..ExitGroup24555.IndexOf("pid=24555", StringComparison.Ordinal)] + "pid=245";
        var e = Build(out var malformed, Syscall(cut));
        Assert.True(malformed);
        Assert.False(e.HasSyscall);
    }

    [Fact]
    public void Syscall_record_cut_short_does_not_override_the_complete_one()
    {
        var cut = ExitGroup24555[..ExitGroup24555.IndexOf("a0=", StringComparison.Ordinal)].Replace("syscall=231", "syscall=23");
        var before = Build(out var m1, Syscall(cut), Syscall(ExitGroup24555));
        var after = Build(out var m2, Syscall(ExitGroup24555), Syscall(cut));
        Assert.True(m1 && m2);
        foreach (var e in new[] { before, after })
        {
            Assert.True(e.HasSyscall);
            Assert.Equal(SyscallKind.ExitGroup, e.Kind);
            Assert.Equal(24555, e.Pid);
            Assert.Equal("/usr/bin/sleep", e.Exe);
        }
    }

    [Fact]
    public void Syscall_record_cut_inside_its_key_still_counts()
    {
        var e = Build(out _, Syscall(ExitGroup24555[..^3]));
        Assert.True(e.HasSyscall);
        Assert.Equal(24555, e.Pid);
    }
}
