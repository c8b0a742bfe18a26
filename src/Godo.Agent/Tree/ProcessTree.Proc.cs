using Godo.Agent.Proc;

namespace Godo.Agent.Tree;

/// <summary>The tree against /proc: the bootstrap at start, and the reconciliation that heals drift.</summary>
public sealed partial class ProcessTree
{
    /// <summary>/proc start times are whole-second accurate (btime), and events may still be in flight: leave younger things alone.</summary>
    public const long ReconcileGraceMs = 2000;

    /// <summary>Loads every running process before any event is applied.</summary>
    public void Seed(ProcSnapshot snapshot)
    {
        var now = snapshot.TakenAt.ToUnixTimeMilliseconds();
        Advance(now);
        var added = new List<ProcessNode>();
        foreach (var e in snapshot.Processes)
        {
            if (e.IsZombie) continue;
            var n = FromEntry(e);
            if (_byPid.TryGetValue(n.Pid, out var old)) Detach(old);
            _byPid[n.Pid] = n;
            added.Add(n);
        }
        foreach (var n in added) Link(n);
    }

    private ProcessNode FromEntry(ProcEntry e)
    {
        var n = new ProcessNode(e.Pid, e.Ppid, e.StartedAt.ToUnixTimeMilliseconds(), 0)
        {
            CreatorPid = e.Ppid, Comm = e.Comm, Exe = CleanExe(e.Exe), Cwd = e.Cwd, Uid = e.Uid,
            FromProc = true, ProcStartTicks = (long)e.StartTicks,
        };
        SetArgv(n, e.Argv);
        if (e.ContainerId is not null)
        {
            n.Container = e.ContainerId;
            n.InContainerPidNs = e.NsPid is { } ns && ns != e.Pid;
            n.NsPid = e.NsPid;
            n.NsPidCertain = e.NsPid is not null;
        }
        return n;
    }

    private void Link(ProcessNode n)
    {
        if (Get(n.Ppid) is { } parent && parent != n) parent.Children.Add(n);
        DetectShim(n);
        // Every node from /proc is a change: a subscriber that took its snapshot before the seed arrived gets it as deltas.
        Touch(n);
        if (n.Container is null) return;
        var state = GetContainer(n.Container);
        state.Members.Add(n);
        if (n.NsPid == 1 && n.InContainerPidNs) { n.IsContainerInit = true; state.Init = n; }
        if (state.StartedMs == 0 || n.StartMs < state.StartedMs) state.StartedMs = n.StartMs;
    }

    private static string? CleanExe(string? exe) =>
        exe is not null && exe.EndsWith(" (deleted)", StringComparison.Ordinal) ? exe[..^10] : exe;

    /// <summary>
    /// Compares the tree with /proc and corrects it: processes /proc has and the tree lacks, processes the tree
    /// thinks alive that are gone, and parent, argv or container drift. Each correction is described, because each
    /// one means records were lost or a rule is wrong.
    /// </summary>
    public List<string> Reconcile(ProcSnapshot snapshot)
    {
        var corrections = new List<string>();
        var t = snapshot.TakenAt.ToUnixTimeMilliseconds();
        Advance(Math.Min(t, NowMs));
        var seen = new HashSet<int>();
        var zombies = new HashSet<int>();
        var fresh = new List<ProcessNode>();
        foreach (var e in snapshot.Processes)
        {
            // A zombie has exited: it is not running, whether its parent reaps it or not, so never live in the tree.
            if (e.IsZombie) { zombies.Add(e.Pid); continue; }
            seen.Add(e.Pid);
            var startMs = e.StartedAt.ToUnixTimeMilliseconds();
            var settled = startMs < t - ReconcileGraceMs;
            var node = Get(e.Pid);
            if (node is null || !node.Alive)
            {
                // A process the tree has not got (or thinks dead) although it has run for a while.
                if (!settled || node is { ExitMs: { } x } && x > t - ReconcileGraceMs) continue;
                var n = FromEntry(e);
                if (node is not null) Detach(node);
                _byPid[n.Pid] = n;
                fresh.Add(n);
                corrections.Add($"added {e.Pid} ({Describe(e)}): running in /proc, missing from the tree: its fork or exec was not seen");
                continue;
            }
            if (node.FromProc ? node.ProcStartTicks != (long)e.StartTicks : settled && Math.Abs(node.StartMs - startMs) > ReconcileGraceMs + 1000)
            {
                if (!settled) continue;
                MarkExited(node, t, 0, ExitNote.Proc);
                var n = FromEntry(e);
                Detach(node);
                _byPid[n.Pid] = n;
                fresh.Add(n);
                corrections.Add($"replaced {e.Pid} ({Describe(node)} by {Describe(e)}): the pid was reused unseen: the old one's exit or the new one's fork was not seen");
                continue;
            }
            node.ProcStartTicks = (long)e.StartTicks;
            if (node.LastChangeMs > t - ReconcileGraceMs || !settled) continue;
            if (node.Ppid != e.Ppid)
            {
                corrections.Add($"ppid of {e.Pid} ({Describe(node)}): {node.Ppid} -> {e.Ppid}: a reparenting (its parent's exit) was not seen");
                Reparent(node, e.Ppid);
            }
            if (e.ContainerId is not null && node.Container != e.ContainerId)
            {
                corrections.Add($"container of {e.Pid} ({Describe(node)}): {node.Container ?? "host"} -> {e.ContainerId[..12]}: its lineage from the container's shim was not seen");
                SetContainer(node, e.ContainerId);
                node.InContainerPidNs = e.NsPid is { } ns && ns != e.Pid;
            }
            // The tree keeps argv cut to the cap: compare like with like.
            if (!e.Argv.IsDefaultOrEmpty && Caps.Argv(e.Argv) is var procArgv && !node.Argv.SequenceEqual(procArgv.Argv))
            {
                corrections.Add($"argv of {e.Pid} ({Describe(node)}): [{string.Join(' ', node.Argv)}] -> [{string.Join(' ', procArgv.Argv)}]: an exec was not seen, or the process rewrote its argv");
                SetArgv(node, e.Argv);
                Touch(node);
            }
            if (node.NsPid is null && e.ContainerId is not null) { node.NsPid = e.NsPid; node.NsPidCertain = e.NsPid is not null; }
        }
        foreach (var n in fresh) Link(n);
        foreach (var node in _byPid.Values.Where(n => n.Alive && !seen.Contains(n.Pid) && n.StartMs < t - ReconcileGraceMs && n.LastChangeMs < t - ReconcileGraceMs).ToList())
        {
            corrections.Add(zombies.Contains(node.Pid)
                ? $"exited {node.Pid} ({Describe(node)}): alive in the tree, a zombie in /proc: its exit was not seen"
                : $"exited {node.Pid} ({Describe(node)}): alive in the tree, gone from /proc: its exit was not seen");
            MarkExited(node, t, 0, ExitNote.Proc);
        }
        Stats.Corrections += corrections.Count;
        return corrections;
    }

    /// <summary>What a correction names: comm, argv and container, so the log says which process a rule missed.</summary>
    private static string Describe(ProcessNode n) => Describe(n.Comm, n.Argv, n.Container);
    private static string Describe(ProcEntry e) => Describe(e.Comm, e.Argv, e.ContainerId);

    private static string Describe(string? comm, System.Collections.Immutable.ImmutableArray<string> argv, string? container) =>
        $"{comm ?? "?"} [{string.Join(' ', argv)}] in {(container is null ? "host" : "container " + container[..Math.Min(12, container.Length)])}";
}
