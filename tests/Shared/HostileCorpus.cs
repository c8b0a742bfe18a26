using System.Text;
using Godo.Agent.Tests.Audit;

namespace Godo.Tests.Shared;

/// <summary>
/// A raw audit log, written as the kernel writes it (<see cref="AuditText"/>: untrusted strings hex-encoded, long
/// arguments split into <c>aN_len</c>/<c>aN[k]</c> chunks, EOE after every event), of what a hostile container
/// user can exec: terminal escapes (window title, screen clear, colours), newlines that would forge process lines,
/// C1 controls, DEL, invalid UTF-8, bidi overrides and isolates, zero-width characters, markup, shell
/// metacharacters, and argv of hundreds of KB. One shell forks every process; a few exit again.
/// </summary>
public static class HostileCorpus
{
    /// <summary>The hostile command lines, as bytes (argv may hold any byte but NUL, valid UTF-8 or not).</summary>
    public static readonly IReadOnlyList<byte[][]> Argvs = BuildArgvs();

    /// <summary>Indexes into <see cref="Argvs"/> of the processes that exit (exit_group) before the log ends.</summary>
    public static readonly IReadOnlySet<int> Exiting = new HashSet<int> { 2, 8 };

    /// <summary>Processes alive at the end of the log: the shell and every hostile process that did not exit.</summary>
    public static int LiveProcesses => 1 + Argvs.Count - Exiting.Count;

    /// <summary>What must never reach a terminal raw, as UTF-16 text (for assertions on decoded output).</summary>
    public static readonly string[] Poison =
    [
        "\u001b", "\u0007", "\u0008", "\u007f", "\u0085", "\u009b", "\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\r",
    ];

    /// <summary>
    /// The log: the shell (pid <paramref name="pidBase"/>) execs, then forks one child per hostile argv, which
    /// execs it. Event times start at <paramref name="startMs"/>, serials at <paramref name="firstSerial"/>, so
    /// several rounds can follow each other in one stream.
    /// </summary>
    public static string Generate(int pidBase = 40000, long startMs = 1_795_930_000_000, long firstSerial = 900_000)
    {
        var sb = new StringBuilder();
        var time = startMs;
        var serial = firstSerial;
        var shell = pidBase;
        Exec(sb, time++, serial++, shell, 1, 0, "/bin/sh", "/", [Bytes("/bin/sh"), Bytes("/opt/hostile.sh")]);
        for (var i = 0; i < Argvs.Count; i++)
        {
            var pid = pidBase + 1 + i;
            Syscall(sb, time, serial, 56, $"success=yes exit={pid} a0=1200011 a1=0 a2=0 a3=0 items=0", 1, shell, 0, "/bin/sh");
            Eoe(sb, time++, serial++);
            var argv = Argvs[i];
            // The executable's name is hostile too (comm is its basename, cut to 15 bytes by the kernel).
            var exe = i % 2 == 0 ? "/usr/bin/" + Encoding.UTF8.GetString(argv[0]).Split('/').Last() : "/tmp/\u001b[2J\u001b]0;owned\u0007<b>x</b>";
            Exec(sb, time++, serial++, pid, shell, (i % 3) switch { 0 => 0, 1 => 1000, _ => 65534 }, exe, i % 4 == 1 ? "/tmp/\nfake\u202e" : "/", argv);
        }
        foreach (var i in Exiting)
        {
            Syscall(sb, time, serial, 231, "a0=0 a1=e7 a2=3c a3=0 items=0", shell, pidBase + 1 + i, 0, "/bin/true");
            Eoe(sb, time++, serial++);
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Generate"/> to <paramref name="path"/> and returns the path.</summary>
    public static string WriteTo(string path)
    {
        File.WriteAllText(path, Generate());
        return path;
    }

    private static List<byte[][]> BuildArgvs()
    {
        byte[][] A(params object[] args) => args.Select(a => a as byte[] ?? Bytes((string)a)).ToArray();
        return
        [
            A("printf", "\u001b]0;owned by argv\u0007", "\u001b[2J\u001b[H", "\u001b[31;1mred\u001b[0m"),               // OSC title, screen clear, colours
            A("sleep", "1000\n4242 root /usr/sbin/sshd -D"),                                                        // a forged process line
            A("sleep", "1000\r\u001b[Kinnocent", "tab\there", "bell\u0007bs\u0008del\u007f"),
            A("true", "c1:\u0085\u009b31m\u0090\u009c"),                                                            // C1 controls (valid UTF-8)
            A("cat", new byte[] { 0x66, 0xff, 0xfe, 0x9b, 0x33, 0x31, 0x6d }, new byte[] { 0xc3, 0x28, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80 }), // invalid UTF-8, a raw 8-bit CSI
            A("ls", "invoice\u202etxt.exe", "\u202dlro\u2066iso\u2067late\u2068d\u2069", "\u200emarks\u200f\u061c"),  // bidi overrides, isolates, marks
            A("echo", "zero\u200bwidth\u200c\u200djoin\u2060word\ufeffbom"),
            A("curl", "<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>", "&lt;b&gt;", "\"quoted\""),
            A("sh", "-c", "it's $(rm -rf /) `id` ; a\\x1bb | tee > /dev/null", "*", "~", "", " "),
            A("python3", "-c", new string('A', 300_000) + "\u001b[2J" + new string('B', 1000)),                      // one argument of 300 KB
            A(["xargs", .. Enumerable.Range(0, 3000).Select(n => $"arg{n}\u001b[{n % 8 + 30}m")]),                  // 3,000 arguments
            A("nginx:", "worker", "process", "ünïcödé", "日本語", "emoji😀"),                                          // printable non-ASCII stays as is
        ];
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static void Exec(StringBuilder sb, long time, long serial, int pid, int ppid, int uid, string exe, string cwd, byte[][] argv)
    {
        Syscall(sb, time, serial, 59, "success=yes exit=0 a0=55c2b0096a60 a1=55c2b00902c0 a2=55c2b0091360 a3=8 items=2", ppid, pid, uid, exe);
        foreach (var body in ExecveBodies(argv)) Record(sb, "EXECVE", time, serial, body);
        Record(sb, "CWD", time, serial, "cwd=" + Untrusted(Bytes(cwd)));
        Record(sb, "PATH", time, serial, $"item=0 name={Untrusted(Bytes(exe))} inode=247444 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        Record(sb, "PROCTITLE", time, serial, "proctitle=" + Proctitle(argv));
        Eoe(sb, time, serial);
    }

    private static void Syscall(StringBuilder sb, long time, long serial, int nr, string result, int ppid, int pid, int uid, string exe)
    {
        var comm = Bytes(exe.Split('/').Last());
        if (comm.Length > 15) comm = comm[..15];
        Record(sb, "SYSCALL", time, serial, $"arch={AuditText.ArchX86_64} syscall={nr} {result} ppid={ppid} pid={pid} auid=4294967295 uid={uid} gid={uid} euid={uid} " +
            $"suid={uid} fsuid={uid} egid={uid} sgid={uid} fsgid={uid} tty=(none) ses=4294967295 comm={Untrusted(comm)} exe={Untrusted(Bytes(exe))} key=\"godo\"");
    }

    private static void Eoe(StringBuilder sb, long time, long serial) => Record(sb, "EOE", time, serial, "");

    private static void Record(StringBuilder sb, string type, long time, long serial, string body) =>
        sb.Append(AuditText.Header(type, time, serial)).Append(body).Append('\n');

    /// <summary>The kernel's bodies; argv that is valid UTF-8 goes through <see cref="AuditText.ExecveBodies"/> (with its chunking).</summary>
    private static List<string> ExecveBodies(byte[][] argv)
    {
        var strict = new UTF8Encoding(false, true);
        try { return AuditText.ExecveBodies(argv.Select(a => strict.GetString(a)).ToList()); }
        catch (DecoderFallbackException)
        {
            // Invalid UTF-8 is always hex (bytes above 0x7e); these arguments are short enough for one record.
            return [$"argc={argv.Length} " + string.Join(' ', argv.Select((a, i) => $"a{i}={Untrusted(a)}"))];
        }
    }

    private static string Untrusted(byte[] bytes) =>
        AuditText.NeedsHex(bytes) ? Convert.ToHexString(bytes) : "\"" + Encoding.ASCII.GetString(bytes) + "\"";

    /// <summary>argv joined by NULs, cut to the kernel's 128 bytes; always hex here (the NULs).</summary>
    private static string Proctitle(byte[][] argv)
    {
        var joined = argv.SelectMany((a, i) => i == 0 ? a : [0, .. a]).Take(128).ToArray();
        return Untrusted(joined);
    }
}
