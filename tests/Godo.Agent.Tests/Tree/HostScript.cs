using System.Text;
using Godo.Agent.Audit;
using Godo.Agent.Replay;
using Godo.Agent.Tests.Audit;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Tree;

/// <summary>
/// A tiny simulated Docker host for tree tests. Each action writes the audit records the kernel would write
/// (SYSCALL with the caller's host pid/ppid, EXECVE, CWD, PATH, OBJ_PID, PROCTITLE), runs them through the real
/// parser and event builder, and applies the event to a <see cref="ProcessTree"/>. The script keeps the kernel's
/// side of the story (who exists, their parent, namespace pids) only to write realistic records; it never
/// decides anything the tree is being tested for (reapers, teardown, container attribution).
/// </summary>
public sealed class HostScript
{
    public sealed class Proc
    {
        public required int Pid { get; init; }
        public int Ppid { get; set; }
        public string Comm { get; set; } = "";
        public string Exe { get; set; } = "";
        public string[] Argv { get; set; } = [];
        public string? Container { get; set; }
        /// <summary>Pid in the container's pid namespace; null on the host.</summary>
        public int? NsPid { get; set; }
        public bool Compat32 { get; set; }
        /// <summary>Died without a record; the script keeps it until it is reaped.</summary>
        public bool Dead { get; set; }
    }

    public sealed record ContainerPids(string Id, int Launcher, int Shim, int Runc, int RuncInit, int RuncChild, int Init);

    public const int ContainerdPid = 2897;
    public const int DockerdPid = 2908;
    public const string ShimExe = "/usr/bin/containerd-shim-runc-v2";
    public const string RuncExe = "/usr/sbin/runc";

    private readonly Dictionary<int, Proc> _procs = new();
    private readonly Dictionary<string, int> _nextNsPid = new();
    private long _serial = 40_000;
    private long _sequence;
    private int _nextPid = 30_000;

    public ProcessTree Tree { get; } = new();
    /// <summary>Every line written, in order: feed them to <see cref="SyncReplay"/> to replay the script as a log.</summary>
    public List<string> Lines { get; } = new();
    public AuditEvent? Last { get; private set; }
    public long TimeMs { get; set; } = 1_795_921_864_000;
    /// <summary>Also write EOE records, as a netlink stream does (auditd's log has none).</summary>
    public bool WriteEoe { get; set; }

    public HostScript()
    {
        Existing(ContainerdPid, 1, "/usr/bin/containerd", ["containerd"]);
        Existing(DockerdPid, 1, "/usr/sbin/dockerd", ["dockerd", "--containerd=/run/containerd/containerd.sock"]);
    }

    public Proc this[int pid] => _procs[pid];
    public bool Exists(int pid) => _procs.ContainsKey(pid);

    public int NextPid() => ++_nextPid;
    public void Sleep(long ms) => TimeMs += ms;

    /// <summary>A process that runs before the log starts: the tree learns of it from its first record.</summary>
    public Proc Existing(int pid, int ppid, string exe, string[] argv, string? comm = null, string? container = null, int? nsPid = null)
    {
        var p = new Proc { Pid = pid, Ppid = ppid, Exe = exe, Argv = argv, Comm = comm ?? CommOf(argv.Length > 0 ? argv[0] : exe), Container = container, NsPid = nsPid };
        _procs[pid] = p;
        return p;
    }

    /// <summary>The kernel reparented <paramref name="pid"/> (the script does not apply reaper rules itself).</summary>
    public void SetKernelPpid(int pid, int ppid) => _procs[pid].Ppid = ppid;

    public static string CommOf(string path)
    {
        var name = Path.GetFileName(path);
        return name.Length > 15 ? name[..15] : name;
    }

    // ---- kernel-side actions ------------------------------------------------------------------

    /// <summary>The kernel creates a task (no record yet): a copy of the parent; CLONE_PARENT makes it a sibling.</summary>
    public int Spawn(int parent, ulong flags = 0x1200011, int? pid = null)
    {
        var p = _procs[parent];
        var child = pid ?? NextPid();
        int? nsPid = null;
        if (p.Container is not null && p.NsPid is not null) nsPid = NextNsPid(p.Container);
        _procs[child] = new Proc
        {
            Pid = child, Ppid = (flags & CloneFlags.Parent) != 0 ? p.Ppid : parent, Comm = p.Comm, Exe = p.Exe,
            Argv = p.Argv, Container = p.Container, NsPid = nsPid, Compat32 = p.Compat32,
        };
        return child;
    }

    private int NextNsPid(string container)
    {
        var next = _nextNsPid.GetValueOrDefault(container, 2);
        _nextNsPid[container] = next + 1;
        return next;
    }

    /// <summary>The pid <paramref name="caller"/> sees for <paramref name="target"/> (namespace pid inside a container).</summary>
    public int PidSeenBy(int caller, int target) =>
        _procs[caller].NsPid is not null && _procs.TryGetValue(target, out var t) && t.NsPid is { } ns ? ns : target;

    // ---- audited syscalls ---------------------------------------------------------------------

    /// <summary>fork/vfork/clone/clone3 by <paramref name="parent"/>: the kernel creates the child, then the parent's record is written.</summary>
    public int Fork(int parent, SyscallKind kind = SyscallKind.Fork, ulong flags = 0x1200011, int? childPid = null, bool apply = true)
    {
        var child = Spawn(parent, kind == SyscallKind.Clone ? flags : 0x11, childPid);
        ForkReturn(parent, child, kind, flags, apply: apply);
        return child;
    }

    /// <summary>The parent's record of a fork that already created <paramref name="child"/> (written late for vfork).</summary>
    public AuditEvent ForkReturn(int parent, int child, SyscallKind kind = SyscallKind.Fork, ulong flags = 0x1200011, long? entryTimeMs = null, bool apply = true)
    {
        var p = _procs[parent];
        var nr = Nr(kind, p.Compat32);
        var ret = _procs.TryGetValue(child, out var c) && c.NsPid is { } ns && p.NsPid is not null ? ns : child;
        var (a0, a1) = kind switch
        {
            SyscallKind.Clone => (flags, 0UL),
            SyscallKind.Clone3 => (0x7ffc7ae78560UL, 0x58UL),
            _ => (0UL, 0UL),
        };
        return Emit(parent, nr, success: true, exit: ret, a0: a0, a1: a1, entryTimeMs: entryTimeMs, apply: apply);
    }

    /// <summary>A thread: clone with CLONE_THREAD (or clone3, flags unseen). Threads share the tgid, so no process appears.</summary>
    public int Thread(int tgid, bool clone3 = false)
    {
        var p = _procs[tgid];
        var tid = NextPid();
        var ret = p.Container is not null && p.NsPid is not null ? NextNsPid(p.Container) : tid;
        if (clone3) Emit(tgid, Nr(SyscallKind.Clone3, p.Compat32), success: true, exit: ret, a0: 0x7f4b8cdec900, a1: 0x58);
        else Emit(tgid, Nr(SyscallKind.Clone, p.Compat32), success: true, exit: ret, a0: 0x3d0f00);
        return tid;
    }

    public AuditEvent Exec(int pid, string path, string[] argv, string? exe = null, string? comm = null, bool success = true, string cwd = "/", SyscallKind kind = SyscallKind.Execve, bool apply = true)
    {
        var p = _procs[pid];
        if (success)
        {
            p.Exe = exe ?? path;
            p.Comm = comm ?? CommOf(path);
            p.Argv = argv;
        }
        var extra = new List<(string, string)>();
        if (success)
            foreach (var body in AuditText.ExecveBodies(argv)) extra.Add(("EXECVE", body));
        extra.Add(("CWD", "cwd=" + AuditText.Untrusted(cwd)));
        extra.Add(("PATH", $"item=0 name={AuditText.Untrusted(path)} inode=247444 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL"));
        return Emit(pid, Nr(kind, p.Compat32), success: success, exit: success ? 0 : -2, a0: 0x55c2b0096a60, a1: 0x55c2b00902c0, extra: extra, apply: apply);
    }

    /// <summary>exit_group: written from do_exit, so no success= or exit=.</summary>
    public AuditEvent ExitGroup(int pid, bool apply = true)
    {
        var e = Emit(pid, Nr(SyscallKind.ExitGroup, _procs[pid].Compat32), success: null, exit: null, a0: 0, apply: apply);
        _procs.Remove(pid);
        return e;
    }

    /// <summary>A thread's exit(2): the record carries the tgid.</summary>
    public AuditEvent ThreadExit(int tgid) => Emit(tgid, Nr(SyscallKind.Exit, _procs[tgid].Compat32), success: null, exit: null);

    /// <summary>kill/tkill/tgkill of <paramref name="target"/> (host pid); the OBJ_PID record names the target's host tgid.</summary>
    public AuditEvent Signal(int caller, int target, int signal, SyscallKind kind = SyscallKind.Kill, bool objPid = true, bool success = true)
    {
        var p = _procs[caller];
        var seen = (ulong)PidSeenBy(caller, target);
        var (a0, a1, a2) = kind switch
        {
            SyscallKind.Tgkill => (seen, seen, (ulong)signal),
            _ => (seen, (ulong)signal, 0UL),
        };
        var extra = new List<(string, string)>();
        if (objPid && success)
            extra.Add(("OBJ_PID", $"opid={target} oauid=-1 ouid=0 oses=-1 ocomm={AuditText.Untrusted(_procs.TryGetValue(target, out var t) ? t.Comm : "x")}"));
        var e = Emit(caller, Nr(kind, p.Compat32), success: success, exit: success ? 0 : -3, a0: a0, a1: a1, a2: a2, extra: extra);
        if (success && signal == 9) _procs.Remove(target);
        return e;
    }

    /// <summary>
    /// A death the rules do not see being sent (SIGTERM, SIGPIPE, the OOM killer): the process leaves no record.
    /// It stays the parent's child (a zombie) until a wait reaps it.
    /// </summary>
    public void DieUnseen(int pid) => _procs[pid].Dead = true;

    /// <summary>wait4 by <paramref name="parent"/> returning <paramref name="child"/> (its namespace pid inside a container).</summary>
    public AuditEvent Wait4(int parent, int child, ulong options = 0, long? entryTimeMs = null, bool apply = true)
    {
        var p = _procs[parent];
        var e = Emit(parent, Nr(SyscallKind.Wait4, p.Compat32), success: true, exit: PidSeenBy(parent, child),
            a0: ulong.MaxValue, a1: 0x7ffd69aae210, a2: options, entryTimeMs: entryTimeMs, apply: apply);
        if ((options & (WaitOptions.Untraced | WaitOptions.Continued | WaitOptions.All)) == 0) _procs.Remove(child);
        return e;
    }

    /// <summary>waitid(P_PID, child, infop, options) by <paramref name="parent"/>: returns 0, the pid is in a1.</summary>
    public AuditEvent Waitid(int parent, int child, ulong options = WaitOptions.Exited, ulong idType = WaitOptions.PPid)
    {
        var p = _procs[parent];
        var e = Emit(parent, Nr(SyscallKind.Waitid, p.Compat32), success: true, exit: 0,
            a0: idType, a1: (ulong)PidSeenBy(parent, child), a2: 0x7ffd69aae450, a3: options);
        if ((options & WaitOptions.NoWait) == 0) _procs.Remove(child);
        return e;
    }

    /// <summary>A core dump: the kernel writes a standalone ANOM_ABEND record (own serial, no SYSCALL) and the process dies.</summary>
    public AuditEvent Crash(int pid, int signal = 11, bool apply = true)
    {
        var p = _procs[pid];
        TimeMs += 1;
        var serial = ++_serial;
        var line = AuditText.Header("ANOM_ABEND", TimeMs, serial)
                   + $"auid=4294967295 uid=0 gid=0 ses=4294967295 pid={pid} comm={AuditText.Untrusted(p.Comm)} exe={AuditText.Untrusted(p.Exe)} sig={signal} res=1";
        Lines.Add(line);
        p.Dead = true;
        return Build(serial, [line], apply);
    }

    // ---- Docker -------------------------------------------------------------------------------

    /// <summary>
    /// What `docker run -d` makes the kernel do, as recorded in the docker-basic corpus: containerd starts the shim
    /// launcher, which starts the shim (a subreaper, reparented to pid 1) and exits; the shim runs `runc create`,
    /// whose `runc init` clones runc:[1:CHILD] and runc:[2:INIT] (CLONE_PARENT, so both are runc's children);
    /// runc:[2:INIT] enters the new pid namespace as pid 1; `runc create` exits (its orphan goes to the shim), and
    /// `runc start` lets runc:[2:INIT] exec the container's command.
    /// </summary>
    public ContainerPids StartContainer(string id, string[] cmd, string cmdExe = "/bin/busybox", bool execInit = true)
    {
        var launcher = Fork(ContainerdPid, SyscallKind.Clone, 0x4111);
        Exec(launcher, ShimExe, [ShimExe, "-namespace", "moby", "-address", "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", id, "start"]);
        var shim = Fork(launcher, SyscallKind.Clone, 0x4111);
        Exec(shim, ShimExe, [ShimExe, "-namespace", "moby", "-id", id, "-address", "/run/containerd/containerd.sock"]);
        ExitGroup(launcher);
        SetKernelPpid(shim, 1);
        Thread(shim, clone3: true);

        var bundle = $"/run/containerd/io.containerd.runtime.v2.task/moby/{id}";
        var runc = Fork(shim, SyscallKind.Clone, 0x4111);
        Exec(runc, RuncExe, ["runc", "--root", "/var/run/docker/runtime-runc/moby", "--log", bundle + "/log.json", "--log-format", "json", "create", "--bundle", bundle, "--pid-file", bundle + "/init.pid", id]);
        Thread(runc, clone3: true);
        var runcInit = Fork(runc, SyscallKind.Clone, 0x4111);
        Exec(runcInit, RuncExe, ["runc", "init"], comm: "exe");
        Exec(runcInit, RuncExe, ["runc", "init"], exe: "/", comm: "runc", kind: SyscallKind.Execveat);
        _procs[runcInit].Comm = "runc:[0:PARENT]";
        var runcChild = Fork(runcInit, SyscallKind.Clone, 0x8011);
        _procs[runcChild].Comm = "runc:[1:CHILD]";
        var init = Spawn(runcChild, 0x8011);
        _procs[init].Container = id;
        _procs[init].NsPid = 1;
        _procs[init].Comm = "runc:[2:INIT]";
        ForkReturn(runcChild, init, SyscallKind.Clone, 0x8011);
        ExitGroup(runcChild);
        ExitGroup(runcInit);
        Thread(init, clone3: true); // runc:[2:INIT]'s first own record: a Go thread, tid in the new namespace
        ExitGroup(runc);
        SetKernelPpid(init, shim);

        var start = Fork(shim, SyscallKind.Clone, 0x4111);
        Exec(start, RuncExe, ["runc", "--root", "/var/run/docker/runtime-runc/moby", "--log", bundle + "/log.json", "--log-format", "json", "start", id]);
        ExitGroup(start);
        if (execInit) Exec(init, cmd[0].StartsWith('/') ? cmd[0] : "/bin/" + cmd[0], cmd, exe: cmdExe);
        return new ContainerPids(id, launcher, shim, runc, runcInit, runcChild, init);
    }

    /// <summary>`docker exec -d`: the shim runs `runc exec`, whose runc:[2:INIT] joins the container and execs the command.</summary>
    public int DockerExec(ContainerPids c, string[] cmd, string cmdExe = "/bin/busybox")
    {
        var runc = Fork(c.Shim, SyscallKind.Clone, 0x4111);
        Exec(runc, RuncExe, ["runc", "--root", "/var/run/docker/runtime-runc/moby", "exec", "--process", "/tmp/runc-process1", "--detach", "--pid-file", "/run/x.pid", c.Id]);
        var runcInit = Fork(runc, SyscallKind.Clone, 0x4111);
        Exec(runcInit, RuncExe, ["runc", "init"], comm: "exe");
        _procs[runcInit].Comm = "runc:[0:PARENT]";
        var runcChild = Fork(runcInit, SyscallKind.Clone, 0x8011);
        _procs[runcChild].Comm = "runc:[1:CHILD]";
        var proc = Spawn(runcChild, 0x8011);
        _procs[proc].Container = c.Id;
        _procs[proc].NsPid = NextNsPid(c.Id);
        _procs[proc].Comm = "runc:[2:INIT]";
        ForkReturn(runcChild, proc, SyscallKind.Clone, 0x8011);
        ExitGroup(runcChild);
        ExitGroup(runcInit);
        Thread(proc, clone3: true);
        ExitGroup(runc);
        SetKernelPpid(proc, c.Shim);
        Exec(proc, "/bin/" + cmd[0], cmd, exe: cmdExe);
        return proc;
    }

    // ---- records ------------------------------------------------------------------------------

    public static int Nr(SyscallKind kind, bool compat32 = false) => (kind, compat32) switch
    {
        (SyscallKind.Clone, false) => 56, (SyscallKind.Fork, false) => 57, (SyscallKind.Vfork, false) => 58,
        (SyscallKind.Execve, false) => 59, (SyscallKind.Exit, false) => 60, (SyscallKind.Kill, false) => 62,
        (SyscallKind.Tkill, false) => 200, (SyscallKind.ExitGroup, false) => 231, (SyscallKind.Tgkill, false) => 234,
        (SyscallKind.Execveat, false) => 322, (SyscallKind.Clone3, _) => 435,
        (SyscallKind.Wait4, false) => 61, (SyscallKind.Waitid, false) => 247, (SyscallKind.Wait4, true) => 114, (SyscallKind.Waitid, true) => 284,
        (SyscallKind.Clone, true) => 120, (SyscallKind.Fork, true) => 2, (SyscallKind.Vfork, true) => 190,
        (SyscallKind.Execve, true) => 11, (SyscallKind.Exit, true) => 1, (SyscallKind.Kill, true) => 37,
        (SyscallKind.Tkill, true) => 238, (SyscallKind.ExitGroup, true) => 252, (SyscallKind.Tgkill, true) => 270,
        (SyscallKind.Execveat, true) => 358,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Writes one event of <paramref name="pid"/>: SYSCALL, <paramref name="extra"/> records, PROCTITLE (and EOE when asked).</summary>
    public AuditEvent Emit(int pid, int nr, bool? success, long? exit, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0,
        IEnumerable<(string Type, string Body)>? extra = null, int? ppid = null, long? entryTimeMs = null, bool apply = true)
    {
        var p = _procs[pid];
        if (p.Dead) throw new InvalidOperationException($"{pid} is dead: it writes no records");
        TimeMs += 1;
        var time = entryTimeMs ?? TimeMs;
        var serial = ++_serial;
        var arch = p.Compat32 ? AuditText.ArchI386 : AuditText.ArchX86_64;
        var sb = new StringBuilder($"arch={arch} syscall={nr}");
        if (success is { } ok) sb.Append($" success={(ok ? "yes" : "no")} exit={exit}");
        var items = extra?.Count(x => x.Type == "PATH") ?? 0;
        sb.Append($" a0={a0:x} a1={a1:x} a2={a2:x} a3={a3:x} items={items} ppid={ppid ?? p.Ppid} pid={pid}");
        sb.Append(" auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295");
        sb.Append($" comm={AuditText.Untrusted(p.Comm)} exe={AuditText.Untrusted(p.Exe)} key=\"godo\"");
        var lines = new List<string> { AuditText.Header("SYSCALL", time, serial) + sb };
        if (extra is not null) lines.AddRange(extra.Select(x => AuditText.Header(x.Type, time, serial) + x.Body));
        lines.Add(AuditText.Header("PROCTITLE", time, serial) + "proctitle=" + AuditText.Proctitle(p.Argv.Length > 0 ? p.Argv : [p.Comm]));
        if (WriteEoe) lines.Add(AuditText.Header("EOE", time, serial));
        Lines.AddRange(lines);
        return Build(serial, lines, apply);
    }

    private AuditEvent Build(long serial, List<string> lines, bool apply)
    {
        var records = new List<AuditRecord>();
        foreach (var line in lines)
        {
            var why = AuditLineParser.TryParseLine(Encoding.Latin1.GetBytes(line), out var r);
            if (why != MalformedReason.None) throw new InvalidOperationException($"script wrote a bad line ({why}): {line}");
            records.Add(r);
        }
        var e = AuditEventBuilder.Build(serial, records.ToArray(), false, out var malformed, ++_sequence);
        if (malformed) throw new InvalidOperationException("script wrote a malformed event: " + lines[0]);
        Last = e;
        if (apply) Tree.Apply(e);
        return e;
    }

    public void Apply(AuditEvent e) => Tree.Apply(e);

    /// <summary>Replays everything written so far as log text through the synchronous pipeline.</summary>
    public async Task<SyncReplay> ReplayAsync()
    {
        var replay = new SyncReplay();
        await replay.RunAsync(new MemoryStream(Encoding.Latin1.GetBytes(string.Join('\n', Lines) + "\n")));
        return replay;
    }
}
