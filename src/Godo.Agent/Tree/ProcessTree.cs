using System.Runtime.CompilerServices;
using System.Collections.Immutable;
using Godo.Agent.Audit;
using Godo.Agent.Containers;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>
/// The process tree of one host, built from audit events by the kernel's own rules.
/// Plain and single-threaded: the tree actor owns one and feeds it events in log order.
/// Time is always the audit event time, so a replay does not depend on how fast the log is read.
/// </summary>
public sealed partial class ProcessTree
{
    /// <summary>Exited processes stay this long, because related records (stale ppids, late fork returns) arrive out of order.</summary>
    public const long DeletionDelayMs = 1000;
    private const string RuncInitComm = "runc:[2:INIT]";
    private const int MaxPendingNsChildren = 64;

    private readonly Dictionary<int, ProcessNode> _byPid = new();
    private readonly Dictionary<string, ContainerState> _containers = new(StringComparer.Ordinal);
    private readonly PriorityQueue<ProcessNode, long> _deletions = new();
    // Namespace pids returned by fork/clone inside a container, per creator: matched to the host pid
    // when the child shows up in its own records, to learn its pid inside the container.
    private readonly Dictionary<int, Queue<int>> _pendingNsChildren = new();
    // Processes whose first record named a parent the tree did not know yet, by that parent's pid. A fork child can
    // exec before its parent's fork returns, so inside a container (where the parent is linked through its own
    // records too) the child's record may come first: the parent adopts them when it appears.
    private readonly Dictionary<int, List<ProcessNode>> _awaitingParent = new();
    // Adopted children inside a container whose namespace pid the parent's fork return will tell.
    private readonly Dictionary<int, Queue<ProcessNode>> _awaitingNsPid = new();
    private const int MaxAwaitingParents = 4096, MaxAwaitingPerParent = 64;
    private readonly HashSet<ProcessNode> _dirty = new();

    public TreeStats Stats { get; } = new();
    /// <summary>What is kept of each process (argv, exe, cwd, comm): the same caps in replay, agent and aggregator.</summary>
    public ProcessCaps Caps { get; init; } = ProcessCaps.Default;
    public long NowMs { get; private set; }
    public int Count => _byPid.Count;
    public IReadOnlyDictionary<string, ContainerState> Containers => _containers;

    public ProcessNode? Get(int pid) => _byPid.GetValueOrDefault(pid);
    /// <summary>Test seams: every node (exited ones until deleted), and the living ones.</summary>
    public IEnumerable<ProcessNode> Nodes => _byPid.Values;
    public IEnumerable<ProcessNode> AliveNodes => _byPid.Values.Where(n => n.Alive);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public void Apply(AuditEvent e)
    {
        if (!e.HasSyscall)
        {
            if (e.CrashedPid > 0) { Stats.EventsApplied++; OnCrash(e); Seal(); }
            else Stats.EventsSkipped++;
            return;
        }
        Advance(e.TimeMs);
        var p = Observe(e);
        if (p is null) { Stats.EventsSkipped++; Seal(); return; }
        Stats.EventsApplied++;
        switch (e.Kind)
        {
            case SyscallKind.Fork or SyscallKind.Vfork or SyscallKind.Clone or SyscallKind.Clone3:
                OnClone(p, e);
                break;
            case SyscallKind.Execve or SyscallKind.Execveat:
                OnExec(p, e);
                break;
            case SyscallKind.ExitGroup:
                MarkExited(p, e.TimeMs, e.Serial, new ExitNote(ExitCauses.ExitGroup, ExitCode: (int)(e.A0 & 0xff)));
                break;
            case SyscallKind.Kill or SyscallKind.Tkill or SyscallKind.Tgkill:
                OnSignal(p, e);
                break;
            case SyscallKind.Wait4 or SyscallKind.Waitid:
                OnWait(p, e);
                break;
        }
        if (e.CrashedPid > 0) OnCrash(e); // a core dump written inside a syscall shares its serial
        Seal();
    }

    /// <summary>Moves time forward and performs the deletions due by then.</summary>
    public void Advance(long nowMs)
    {
        if (nowMs > NowMs) NowMs = nowMs;
        while (_deletions.TryPeek(out var node, out var due) && due <= NowMs)
        {
            _deletions.Dequeue();
            Remove(node);
        }
        // An exit still waiting for its process is given up once the window has passed, also on a quiet host.
        if (_earlyExitOrder.Count > 0) ExpireEarlyExits();
        Seal();
    }

    // ---- the calling process ------------------------------------------------------------------

    /// <summary>Finds (or creates) the incarnation of the calling process the event belongs to; null for a late record of a dead one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private ProcessNode? Observe(AuditEvent e)
    {
        ProcessNode n;
        if (_byPid.TryGetValue(e.Pid, out var known))
        {
            if (!known.Alive)
            {
                // A straggler of the dead one. `<=`: an exit from the connector carries no serial, and the dead process's
                // last records can bear the very millisecond of its exit.
                if (e.Serial <= known.ExitSerial || e.TimeMs <= known.ExitMs) return null;
                Stats.PidReuses++;
                n = CreateFromOwnRecord(e);
            }
            else if (known.Ppid != e.Ppid && e.Ppid > 0)
            {
                var recorded = Get(e.Ppid);
                var current = Get(known.Ppid);
                if (recorded is { Alive: false })
                {
                    Stats.StalePpidRepaired++; // the record still names the dead parent; we reparented already
                    n = known;
                }
                else if (current is { Alive: true } && recorded is { Alive: true } && !IsPlausibleReaper(recorded, known))
                {
                    // Both parents alive and the new one could not have inherited it: the pid was reused unseen.
                    Stats.PidReuses++;
                    MarkExited(known, e.TimeMs, e.Serial, ExitNote.PidReused);
                    n = CreateFromOwnRecord(e);
                }
                else
                {
                    Reparent(known, e.Ppid); // the kernel's word on the current parent
                    n = known;
                }
            }
            else n = known;
        }
        else n = CreateFromOwnRecord(e);

        if (e.Uid is { } uid && n.Uid != uid) { n.Uid = uid; Touch(n); }
        if (e.Comm == RuncInitComm && !n.InContainerPidNs) EnterContainer(n);
        return n;
    }

    private ProcessNode CreateFromOwnRecord(AuditEvent e)
    {
        var creator = Get(e.Ppid);
        var ppid = e.Ppid;
        if (creator is { Alive: false })
        {
            // The parent died before this record was written: the kernel has reparented us already.
            ppid = ReaperFor(creator);
            Stats.StalePpidRepaired++;
        }
        var n = new ProcessNode(e.Pid, ppid, e.TimeMs, e.Serial) { CreatorPid = e.Ppid };
        // A fork child runs its parent's image until it execs, so it shares its argv.
        if (creator is not null && (SyscallTable.IsExec(e.Kind) || string.Equals(creator.Exe, e.Exe, StringComparison.Ordinal)))
            InheritFrom(n, creator);
        else
        {
            n.Exe = e.Exe; n.Comm = e.Comm;
            SetArgv(n, !e.Proctitle.IsDefault ? e.Proctitle : ImmutableArray<string>.Empty);
            n.Uid = e.Uid;
            if (creator is not null) { n.Container = creator.Container; n.InContainerPidNs = creator.InContainerPidNs; }
        }
        if (creator is not null && _pendingNsChildren.TryGetValue(creator.Pid, out var q) && q.Count > 0 && n.InContainerPidNs)
        {
            n.NsPid = q.Dequeue();
            ClaimNsPid(creator.Pid, n, q.Count);
        }
        Stats.ProcessesCreated++;
        Add(n);
        return n;
    }

    private static void InheritFrom(ProcessNode child, ProcessNode parent)
    {
        child.Exe = parent.Exe; child.Comm = parent.Comm; child.Argv = parent.Argv; child.Cwd = parent.Cwd;
        child.ArgvTruncated = parent.ArgvTruncated; child.ArgvBytes = parent.ArgvBytes; child.ArgvCount = parent.ArgvCount;
        child.Uid = parent.Uid; child.Container = parent.Container; child.InContainerPidNs = parent.InContainerPidNs;
    }

    // ---- fork, exec, exit, kill ---------------------------------------------------------------

    private void OnClone(ProcessNode p, AuditEvent e)
    {
        if (e.Success != true || e.Exit is not > 0) return;
        if (e.Kind == SyscallKind.Clone && (e.A0 & CloneFlags.Thread) != 0) { Stats.ThreadsIgnored++; return; }
        var returned = (int)e.Exit.Value;
        if (e.Kind == SyscallKind.Clone3 || p.InContainerPidNs)
        {
            // clone3 hides its flags (thread or process?), and inside a container the return value is a
            // namespace pid: either way the child is linked through its own records, never through exit=.
            if (p.InContainerPidNs && e.Kind != SyscallKind.Clone3)
            {
                if (_awaitingNsPid.TryGetValue(p.Pid, out var adopted) && adopted.TryDequeue(out var kid))
                {
                    // the child's own records came before this return: it is already in the tree
                    var alone = adopted.Count == 0;
                    if (alone) _awaitingNsPid.Remove(p.Pid);
                    if (kid.Alive && kid.NsPid is null) { kid.NsPid = returned; kid.NsPidCertain = alone; Touch(kid); }
                    return;
                }
                if (e.Kind == SyscallKind.Vfork || e.Kind == SyscallKind.Clone && (e.A0 & CloneFlags.Vfork) != 0)
                {
                    PairVforkChild(p, e, returned); // its child has run already: never a pending return
                    return;
                }
                if (!_pendingNsChildren.TryGetValue(p.Pid, out var q)) _pendingNsChildren[p.Pid] = q = new Queue<int>();
                if (q.Count < MaxPendingNsChildren)
                {
                    StartOrExtendNsBatch(p.Pid, returned, q.Count == 0);
                    q.Enqueue(returned);
                }
            }
            return;
        }
        var parentPid = e.Kind == SyscallKind.Clone && (e.A0 & CloneFlags.Parent) != 0 ? p.Ppid : p.Pid;
        if (_byPid.TryGetValue(returned, out var c))
        {
            var sameChild = c.CreatorPid == p.Pid || c.Ppid == parentPid;
            if (c.Alive && sameChild) return;                              // the child's own records came first
            // e.g. a vfork child that already exited; a fork entered after the child's exit reuses its pid instead
            if (!c.Alive && sameChild && e.TimeMs <= c.ExitMs) { Stats.LateForkReturns++; return; }
            if (c.Alive) MarkExited(c, e.TimeMs, e.Serial, ExitNote.PidReused); // died unseen (signal); its pid is reused
            Stats.PidReuses++;
        }
        var child = new ProcessNode(returned, parentPid, e.TimeMs, e.Serial) { CreatorPid = p.Pid };
        InheritFrom(child, p);
        Stats.ProcessesCreated++;
        Add(child);
    }

    private void OnExec(ProcessNode p, AuditEvent e)
    {
        if (e.Success != true) return;
        Stats.Execs++;
        if (!e.Argv.IsDefault) SetArgv(p, e.Argv);
        else if (!e.Proctitle.IsDefault) SetArgv(p, e.Proctitle);
        p.Exe = e.Exe; p.Comm = e.Comm;
        if (e.Cwd is not null) p.Cwd = e.Cwd;
        DetectShim(p);
        Touch(p);
        FeedExec(p, e.TimeMs);
    }

    private void OnSignal(ProcessNode p, AuditEvent e)
    {
        var signal = e.Kind == SyscallKind.Tgkill ? e.A2 : e.A1;
        if (signal != 9 || e.Success != true) return;
        var targets = e.TargetPids;
        if (targets.IsEmpty && e.Kind == SyscallKind.Kill && (long)e.A0 > 0 && !p.InContainerPidNs) targets = [(int)e.A0];
        foreach (var t in targets)
            if (Get(t) is { Alive: true } victim)
            {
                Stats.Kills++;
                MarkExited(victim, e.TimeMs, e.Serial, ExitNote.Killed);
            }
    }

    /// <summary>Marks a process dead (exit_group, SIGKILL, teardown) and hands its children to their new reaper, as the kernel does.</summary>
    public void MarkExited(ProcessNode p, long timeMs, long serial, ExitNote? note = null)
    {
        if (!p.Alive) return;
        p.ExitMs = timeMs; p.ExitSerial = serial;
        p.ExitNote = note ?? new ExitNote(ExitCauses.ExitGroup);
        Stats.Exits++;
        FeedExit(p, timeMs, p.ExitNote.Value);
        _deletions.Enqueue(p, timeMs + DeletionDelayMs);
        _pendingNsChildren.Remove(p.Pid);
        _nsBatches.Remove(p.Pid);
        _awaitingNsPid.Remove(p.Pid);
        Touch(p);
        if (p.Container is not null && _containers.TryGetValue(p.Container, out var state))
        {
            state.Members.Remove(p);
            if (state.Init == p) Teardown(state, timeMs, serial);
        }
        if (p.IsSubreaper && _containers.TryGetValue(p.ShimOf!, out var shimmed) && shimmed.Shim == p)
            Teardown(shimmed, timeMs, serial);
        foreach (var c in p.Children.ToArray())
            if (c.Alive) Reparent(c, ReaperFor(p));
    }

    /// <summary>A container's init or shim is gone: the kernel tears down the pid namespace, leaving no records.</summary>
    private void Teardown(ContainerState state, long timeMs, long serial)
    {
        if (state.Members.Count == 0) return;
        Stats.ContainerTeardowns++;
        foreach (var m in state.Members.ToArray()) MarkExited(m, timeMs, serial, ExitNote.Teardown);
    }

    // ---- reparenting --------------------------------------------------------------------------

    /// <summary>
    /// The kernel's find_new_reaper for the children of <paramref name="dead"/>: the nearest living subreaper
    /// among the dead parent's ancestors in the dead parent's own pid namespace (containerd-shim for runc and
    /// `docker exec`'d processes), else that namespace's reaper: the container's init, or pid 1 on the host.
    /// </summary>
    public int ReaperFor(ProcessNode dead)
    {
        var inContainer = dead.InContainerPidNs;
        var a = Get(dead.Ppid);
        for (var depth = 0; a is not null && depth < 4096; depth++)
        {
            if (a.InContainerPidNs != inContainer) break; // the walk never leaves the dead parent's namespace
            if (a.Alive && a.IsSubreaper) return a.Pid;
            if (inContainer && a.IsContainerInit) return a.Alive ? a.Pid : 1;
            if (a.Pid == a.Ppid) break;
            a = Get(a.Ppid);
        }
        if (inContainer && dead.Container is not null && _containers.TryGetValue(dead.Container, out var st) && st.Init is { Alive: true } init)
            return init.Pid;
        return 1;
    }

    private bool IsPlausibleReaper(ProcessNode r, ProcessNode orphan)
    {
        if (r.Pid == 1 || r.IsSubreaper || r.IsContainerInit) return true;
        for (var a = Get(orphan.Ppid); a is not null; a = a.Pid == a.Ppid ? null : Get(a.Ppid))
            if (a == r) return true;
        return false;
    }

    internal void Reparent(ProcessNode c, int newPpid)
    {
        if (c.Ppid == newPpid) return;
        if (Get(c.Ppid) is { } old) old.Children.Remove(c);
        c.Ppid = newPpid;
        if (Get(newPpid) is { } parent) parent.Children.Add(c);
        Stats.Reparented++;
        Touch(c);
    }

    // ---- containers ---------------------------------------------------------------------------

    /// <summary>containerd-shim-runc-v2 ... -id &lt;id&gt;: a host process, the container's subreaper.</summary>
    internal void DetectShim(ProcessNode p)
    {
        var id = p.Argv.IsDefault ? null : ShimCommandLine.TryGetContainerId(p.Argv, p.Exe);
        if (id is null) return;
        p.ShimOf = id;
        // containerd runs `... -id ID delete` once the shim has gone: taken for the shim, it made a stopped container
        // run again for its few milliseconds (a second stop in the feed).
        p.IsShimCommand = ShimCommandLine.IsCommand(p.Argv);
        p.Container = null; p.InContainerPidNs = false;
        if (p.IsShimCommand) return;
        var state = GetContainer(id);
        state.Shim = p;
        state.StartedMs = p.StartMs;
    }

    /// <summary>runc's last init stage is in the container's pid namespace and becomes its init (or, for docker exec, the exec'd process).</summary>
    private void EnterContainer(ProcessNode n)
    {
        n.InContainerPidNs = true;
        var shim = ShimAncestor(n);
        if (shim?.ShimOf is null) return;
        SetContainer(n, shim.ShimOf);
        // The runc command that started it tells create (the init) from exec.
        for (var a = Get(n.CreatorPid) ?? Get(n.Ppid); a is not null && a != shim; a = Get(a.Ppid))
        {
            if (a.Argv.Length >= 2 && a.Argv[1] == "init") continue;
            if (a.Argv.Contains("exec")) return;
            if (a.Argv.Contains("create") || a.Argv.Contains("run"))
            {
                var state = GetContainer(shim.ShimOf);
                if (state.Init is { Alive: true } old && old != n) old.IsContainerInit = false;
                n.IsContainerInit = true;
                n.NsPid = 1;
                n.NsPidCertain = true;
                state.Init = n;
                Touch(n);
                return;
            }
        }
    }

    private ProcessNode? ShimAncestor(ProcessNode n)
    {
        var a = Get(n.CreatorPid) ?? Get(n.Ppid);
        for (var depth = 0; a is not null && depth < 64; depth++)
        {
            if (a.ShimOf is not null && !a.IsShimCommand) return a;
            if (a.Pid == a.Ppid) break;
            a = Get(a.Ppid);
        }
        return null;
    }

    internal void SetContainer(ProcessNode n, string id)
    {
        if (n.Container == id) return;
        if (n.Container is not null && _containers.TryGetValue(n.Container, out var old)) { old.Members.Remove(n); NoteContainer(n.Container); }
        n.Container = id;
        if (n.Alive) GetContainer(id).Members.Add(n);
        Touch(n);
    }

    public ContainerState GetContainer(string id)
    {
        if (!_containers.TryGetValue(id, out var s)) _containers[id] = s = new ContainerState(id);
        return s;
    }

    // ---- bookkeeping --------------------------------------------------------------------------

    public void Add(ProcessNode n)
    {
        if (_byPid.TryGetValue(n.Pid, out var old) && old != n) Detach(old);
        _byPid[n.Pid] = n;
        if (Get(n.Ppid) is { } parent && parent != n) parent.Children.Add(n);
        else if (n.Ppid > 1 && n.Alive) AwaitParent(n);
        if (n.Container is not null && n.Alive) GetContainer(n.Container).Members.Add(n);
        Touch(n);
        if (_awaitingParent.Remove(n.Pid, out var early)) Adopt(n, early);
        if (_earlyExits.Count > 0) MatchEarlyExit(n);
    }

    private void AwaitParent(ProcessNode n)
    {
        if (!_awaitingParent.TryGetValue(n.Ppid, out var list))
        {
            if (_awaitingParent.Count >= MaxAwaitingParents) _awaitingParent.Clear(); // bounded: at worst a child stays unlinked
            _awaitingParent[n.Ppid] = list = new List<ProcessNode>();
        }
        if (list.Count >= MaxAwaitingPerParent) list.RemoveAt(0);
        list.Add(n);
    }

    /// <summary>
    /// A parent whose children showed up first: link them, and give them (and what they forked meanwhile) the
    /// parent's container, which they could not inherit from a parent the tree did not know.
    /// </summary>
    private void Adopt(ProcessNode parent, List<ProcessNode> children)
    {
        foreach (var c in children)
        {
            if (!c.Alive || c.Ppid != parent.Pid || Get(c.Pid) != c || !parent.Alive) continue;
            parent.Children.Add(c);
            Stats.Adopted++;
            Touch(c);
            if (c.Container is not null || parent.Container is null) continue;
            InheritContainer(c, parent, 0);
            if (parent.InContainerPidNs && c.NsPid is null)
            {
                if (!_awaitingNsPid.TryGetValue(parent.Pid, out var q)) _awaitingNsPid[parent.Pid] = q = new Queue<ProcessNode>();
                if (q.Count < MaxPendingNsChildren) q.Enqueue(c);
            }
        }
    }

    private void InheritContainer(ProcessNode n, ProcessNode from, int depth)
    {
        if (depth > 64 || n.Container is not null || !n.Alive) return;
        n.InContainerPidNs = from.InContainerPidNs;
        SetContainer(n, from.Container!);
        foreach (var c in n.Children) InheritContainer(c, n, depth + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void Remove(ProcessNode n)
    {
        if (!_byPid.TryGetValue(n.Pid, out var cur) || cur != n) return;
        Detach(n);
        _byPid.Remove(n.Pid);
        Stats.ProcessesDeleted++;
        Touch(n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private void Detach(ProcessNode n)
    {
        if (Get(n.Ppid) is { } parent) parent.Children.Remove(n);
        if (n.Container is not null && _containers.TryGetValue(n.Container, out var st))
        {
            st.Members.Remove(n);
            if (!st.Running && st.Shim is not { Alive: true }) _containers.Remove(n.Container);
        }
    }

    /// <summary>Track changed nodes for <see cref="DrainChanges"/> (an agent that sends deltas turns this on; replay does not need it).</summary>
    public bool TrackChanges { get; set; }

    private void Touch(ProcessNode n)
    {
        n.LastChangeMs = NowMs;
        if (!TrackChanges) return;
        if (_dirty.Add(n)) n.ChangedSinceMs = NowMs;
        var steps = n.Steps ??= new List<(long, ProcessInfo)>(2);
        // Several touches of one event are one step: the last state of that moment, which Seal takes once the event is
        // applied whole (a field set after the touch, say the namespace pid of a container's init, is of that moment too).
        if (steps.Count > 0 && steps[^1].AtMs == NowMs) steps[^1] = (NowMs, ToInfo(n));
        else steps.Add((NowMs, ToInfo(n)));
        _touched.Add(n);
        if (n.Container is not null) NoteContainer(n.Container);
        if (n.ShimOf is not null) NoteContainer(n.ShimOf);
    }

    private readonly List<ProcessNode> _touched = new();
    private readonly HashSet<string> _containersTouched = new(StringComparer.Ordinal);
    /// <summary>While changes are tracked: each container's state at each moment it changed since the last drain (null: not running).</summary>
    private readonly Dictionary<string, List<(long AtMs, ContainerInfo? Info)>> _containerSteps = new(StringComparer.Ordinal);
    /// <summary>Each running container's state as last sealed: what its next step is compared with.</summary>
    private readonly Dictionary<string, ContainerInfo> _containersSealed = new(StringComparer.Ordinal);

    private void NoteContainer(string id) { if (TrackChanges) _containersTouched.Add(id); }

    /// <summary>
    /// An event (or a sweep, an exit, a /proc pass) is applied whole: what it touched is taken as it now stands, at the
    /// moment it changed, so every step of a delta is the tree of that moment (history dates each change by it).
    /// </summary>
    private void Seal()
    {
        if (_touched.Count > 0)
        {
            foreach (var n in _touched)
                if (n.Steps is { Count: > 0 } steps) steps[^1] = (steps[^1].AtMs, ToInfo(n));
            _touched.Clear();
        }
        if (_containersTouched.Count == 0) return;
        foreach (var id in _containersTouched)
        {
            var info = _containers.TryGetValue(id, out var state) && state.Running ? ContainerInfoOf(state) : null;
            _containersSealed.TryGetValue(id, out var before);
            if (info is null ? before is null : before is not null && SameContainer(before, info)) continue;
            if (info is null) _containersSealed.Remove(id); else _containersSealed[id] = info;
            if (!_containerSteps.TryGetValue(id, out var list)) _containerSteps[id] = list = new List<(long, ContainerInfo?)>(2);
            if (list.Count > 0 && list[^1].AtMs == NowMs) list[^1] = (NowMs, info);
            else list.Add((NowMs, info));
        }
        _containersTouched.Clear();
    }

    private static bool SameContainer(ContainerInfo a, ContainerInfo b) =>
        a.InitPid == b.InitPid && a.ShimPid == b.ShimPid && a.ProcessCount == b.ProcessCount && a.StartedAt == b.StartedAt;

    /// <summary>The steps of the changed nodes (see <see cref="ProcessNode.Steps"/>), before <see cref="DrainChanges"/> lets them go (<see cref="DrainDelta"/>).</summary>
    private Dictionary<ProcessNode, List<(long AtMs, ProcessInfo Info)>> PendingSteps()
    {
        var result = new Dictionary<ProcessNode, List<(long, ProcessInfo)>>(_dirty.Count);
        foreach (var n in _dirty) if (n.Steps is { } s) result[n] = s;
        return result;
    }

    /// <summary>Whether nodes changed since the last <see cref="DrainChanges"/>.</summary>
    public bool HasChanges => _dirty.Count > 0 || _containerSteps.Count > 0 || _containersTouched.Count > 0;

    /// <summary>Whether exited processes are waiting for their deletion (only then is there anything to sweep).</summary>
    public bool DeletionsPending => _deletions.Count > 0;

    /// <summary>The event time the earliest pending deletion is due at (null: none pending).</summary>
    public long? NextDeletionMs => _deletions.TryPeek(out _, out var due) ? due : null;

    /// <summary>The nodes changed since the last call (for deltas to aggregators).</summary>
    public IReadOnlyCollection<ProcessNode> DrainChanges()
    {
        Seal();
        _containerSteps.Clear();
        var list = _dirty.ToArray();
        _dirty.Clear();
        foreach (var n in list) n.Steps = null;
        return list;
    }

    // ---- output -------------------------------------------------------------------------------

    /// <summary>
    /// Keeps <paramref name="argv"/> (decoded whole from the kernel's records) cut to <see cref="Caps"/>: a hostile
    /// argv costs the tree, the wire and every aggregator no more than the cap.
    /// </summary>
    internal void SetArgv(ProcessNode n, ImmutableArray<string> argv)
    {
        var capped = Caps.Argv(argv);
        n.Argv = capped.Argv;
        (n.ArgvTruncated, n.ArgvBytes, n.ArgvCount) = (capped.Truncated, capped.OriginalBytes, capped.OriginalCount);
    }

    /// <summary>The node in the public schema; exe, cwd and comm cut to their caps (the kernel's own limits, unless hostile).</summary>
    public static ProcessInfo ToInfo(ProcessNode n) => new()
    {
        Pid = n.Pid, Ppid = n.Ppid, Comm = ProcessCaps.Text(n.Comm, ProcessCaps.CommBytes), Exe = ProcessCaps.Text(n.Exe, ProcessCaps.PathBytes),
        Argv = n.Argv, ArgvTruncated = n.ArgvTruncated, ArgvBytes = n.ArgvBytes, ArgvCount = n.ArgvCount,
        Cwd = ProcessCaps.Text(n.Cwd, ProcessCaps.PathBytes), Uid = n.Uid,
        Container = n.Container, NsPid = n.NsPid,
        StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(n.StartMs),
        ExitedAt = n.ExitMs is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x) : null,
    };

    /// <summary>The tree as it stands: the live processes (plus, when asked, those exited and not yet deleted).</summary>
    public HostTree Snapshot(string host, DateTimeOffset asOf, IEnumerable<KeyValuePair<string, long>>? extraStats = null,
        Func<string, ContainerInfo, ContainerInfo>? enrich = null, bool includeExited = false)
    {
        var processes = _byPid.Values.Where(n => n.Alive || includeExited).OrderBy(n => n.Pid).Select(ToInfo).ToImmutableArray();
        var containers = RunningContainers(enrich);
        var stats = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        foreach (var kv in Stats.All()) stats[kv.Key] = kv.Value;
        stats["processes"] = processes.Length;
        stats["containers"] = containers.Length;
        if (extraStats is not null) foreach (var kv in extraStats) stats[kv.Key] = kv.Value;
        return new HostTree { Host = host, AsOf = asOf, Processes = processes, Containers = containers, Stats = stats.ToImmutable() };
    }

    /// <summary>
    /// The running containers as a snapshot lists them. Apart from <see cref="Snapshot"/> because every publish of
    /// changes compares them: building the whole snapshot for that converted every live process each time.
    /// </summary>
    public ImmutableArray<ContainerInfo> RunningContainers(Func<string, ContainerInfo, ContainerInfo>? enrich = null) =>
        _containers.Values.Where(c => c.Running).OrderBy(c => c.StartedMs).ThenBy(c => c.Id)
            .Select(c => enrich is null ? ContainerInfoOf(c) : enrich(c.Id, ContainerInfoOf(c))).ToImmutableArray();

    /// <summary>A running container as the tree knows it (no names or images: Docker tells those).</summary>
    private static ContainerInfo ContainerInfoOf(ContainerState c) => new()
    {
        Id = c.Id,
        InitPid = c.Init is { Alive: true } i ? i.Pid : null,
        ShimPid = c.Shim is { Alive: true } s ? s.Pid : null,
        ProcessCount = c.Members.Count,
        State = "running",
        StartedAt = c.StartedMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(c.StartedMs) : null,
    };
}
