using System.Collections.Concurrent;
using System.Collections.Immutable;
using Godo.Messages.Api;
using Godo.Messages.Model;
using Godo.Messages.Security;
using Godo.Messages.Wire;

namespace Godo.Aggregator.Fleet;

public enum IngestOutcome
{
    /// <summary>The message changed the state (or refreshed lastSeen).</summary>
    Applied,
    /// <summary>Already applied (an older or repeated sequence): ignored.</summary>
    Duplicate,
    /// <summary>Cannot be applied until a snapshot arrives, and one was asked for recently: dropped.</summary>
    Dropped,
    /// <summary>Cannot be applied: <see cref="IngestResult.Request"/> should go back to the agent.</summary>
    SnapshotNeeded,
    /// <summary>Refused: a bad host name, or a claim on a host another agent holds (<see cref="IngestResult.Refusal"/>).</summary>
    Refused,
}

/// <param name="Refusal">Why the message was refused; <paramref name="NewConflict"/> is true the first time for that claimant (worth a log line).</param>
public sealed record IngestResult(IngestOutcome Outcome, IReadOnlyList<FleetEvent> Events, SnapshotRequest? Request = null,
    string? Refusal = null, bool NewConflict = false)
{
    public static readonly IngestResult Duplicate = new(IngestOutcome.Duplicate, []);
    public static readonly IngestResult Dropped = new(IngestOutcome.Dropped, []);
}

/// <summary>
/// The merge logic of an aggregator, as a plain class: per host, a snapshot replaces everything, deltas apply in
/// sequence order, and a gap, an unknown incarnation or a heartbeat ahead of us asks for a snapshot. Host status
/// moves up → stale → down on missing heartbeats (see <see cref="Sweep"/>), or straight to down when the agent's
/// ClusterClient goes unreachable. One agent per host: under TLS (<see cref="FleetOptions.Trust"/>) a new incarnation
/// takes a host only with a snapshot carrying a valid certificate proof for it; without, the incarnation that holds an
/// up host keeps it, and any other is refused and shown as the host's <see cref="HostConflict"/>. One writer (the ingest actor); any number of readers. The clock is a
/// test seam: only the tests pass one, to move time by hand; the aggregator runs on the wall clock.
/// </summary>
public sealed class FleetState(FleetOptions options, Func<DateTimeOffset>? clock = null)
{
    private readonly ConcurrentDictionary<string, HostState> _hosts = new(StringComparer.Ordinal);
    // Snapshot requests for hosts (or incarnations) we hold no state for: host -> (incarnation, last asked).
    private readonly Dictionary<string, (string Incarnation, DateTimeOffset At)> _asked = new(StringComparer.Ordinal);
    // Strings repeated across processes (container ids, exe, cwd, comm) are kept once: this is most of the memory per process.
    private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);
    private readonly Func<DateTimeOffset> _clock = clock ?? (() => DateTimeOffset.UtcNow);

    public FleetOptions Options { get; } = options;
    public DateTimeOffset Now => _clock();

    // ---- ingest (single writer) ---------------------------------------------------------------

    /// <param name="inProcess">The message comes from the agent inside this process (standalone), which needs no proof.</param>
    public IngestResult Apply(IHostMessage message, bool inProcess = false)
    {
        if (HostNames.Problem(message.Host) is { } badName) return new IngestResult(IngestOutcome.Refused, [], Refusal: badName);
        return message switch
        {
            HostSnapshot s => ApplySnapshot(s, inProcess),
            HostDelta d => ApplyDelta(d),
            AgentHeartbeat h => ApplyHeartbeat(h),
            HostFeed f => ApplyFeed(f),
            _ => IngestResult.Duplicate,
        };
    }

    public IngestResult ApplySnapshot(HostSnapshot s, bool inProcess = false)
    {
        var now = Now;
        var events = new List<FleetEvent>();
        var proof = Options.Trust is { } trust && !inProcess ? AgentProof.Problem(s.Identity, s.Host, s.Incarnation, trust, now) : null;
        var existed = _hosts.TryGetValue(s.Host, out var h);
        if (!existed && proof is not null)
            return new IngestResult(IngestOutcome.Refused, [], Refusal: $"host {s.Host}: refused an agent at {s.AgentAddress ?? "?"}: {proof}", NewConflict: true);
        h ??= _hosts.GetOrAdd(s.Host, name => new HostState(name));
        lock (h.Gate)
        {
            if (existed && h.Incarnation != s.Incarnation)
            {
                // Under TLS a valid proof takes the host (the agent restarted); without TLS the holder of an up host keeps it.
                var refusal = proof ?? (Options.Trust is null && !inProcess && Holds(h, s.AgentAddress) ? "another agent holds this host" : null);
                if (refusal is not null) return Refuse(h, refusal, s.AgentAddress, now);
            }
            // A snapshot of the incarnation we follow that is not newer than our state is a repeat: keep ours.
            if (existed && h.Incarnation == s.Incarnation && s.Sequence <= h.Sequence)
            {
                Touch(h, now, events, s.Stats, s.AgentAddress);
                return new IngestResult(IngestOutcome.Duplicate, events);
            }
            var oldContainers = existed ? new Dictionary<string, ContainerInfo>(h.Containers) : null;
            h.Processes.Clear();
            foreach (var p in s.Processes.OrEmpty()) h.Processes[p.Pid] = Intern(p);
            h.Containers.Clear();
            foreach (var c in s.Containers.OrEmpty()) h.Containers[c.Id] = Intern(c);
            h.Incarnation = s.Incarnation;
            h.Sequence = s.Sequence;
            h.AsOf = s.AsOf;
            h.AwaitingSnapshot = false;
            h.HoldTree();
            h.SnapshotsApplied++;
            h.Verified = Options.Trust is not null && !inProcess;
            if (oldContainers is not null)
            {
                // A resync: containers that came or went while we were not following are still news (execs and
                // exits come from the feed, which has its own numbering).
                foreach (var c in h.Containers.Values)
                    if (!oldContainers!.ContainsKey(c.Id)) events.Add(ContainerEvent(h, FleetEventKinds.ContainerStart, c, s.AsOf));
                foreach (var c in oldContainers!.Values)
                    if (!h.Containers.ContainsKey(c.Id)) events.Add(ContainerEvent(h, FleetEventKinds.ContainerStop, c, s.AsOf));
            }
            Touch(h, now, events, s.Stats, s.AgentAddress, force: !existed);
        }
        _asked.Remove(s.Host);
        return new IngestResult(IngestOutcome.Applied, events);
    }

    public IngestResult ApplyDelta(HostDelta d)
    {
        var now = Now;
        if (!_hosts.TryGetValue(d.Host, out var h)) return AskUnknown(d.Host, d.Incarnation, "unknown host", now);
        var events = new List<FleetEvent>();
        lock (h.Gate)
        {
            if (h.Incarnation != d.Incarnation)
                return Options.Trust is null && Holds(h, null) ? Refuse(h, "another agent holds this host", null, now) : AskLocked(h, d.Incarnation, "new incarnation", now);
            if (d.Sequence <= h.Sequence) return IngestResult.Duplicate;
            // The missing delta itself (sent again by the agent): the gap closes, the tree is whole again.
            if (h.AwaitingSnapshot && d.Sequence == h.FirstMissing) h.AwaitingSnapshot = false;
            if (h.AwaitingSnapshot)
                return AskLocked(h, d.Incarnation, $"gap: still waiting for a snapshot after sequence {h.Sequence}", now, h.FirstMissing);
            if (d.Sequence != h.Sequence + 1)
            {
                h.AwaitingSnapshot = true;
                return AskLocked(h, d.Incarnation, $"gap: expected sequence {h.Sequence + 1}, got {d.Sequence}", now, h.FirstMissing);
            }
            foreach (var change in d.Processes.OrEmpty())
            {
                // Capped first: what is kept is never more than this aggregator's cap, whatever the agent sent.
                var p = change.Kind == ProcessChangeKind.Removed ? change.Process : Intern(change.Process);
                h.Processes.TryGetValue(p.Pid, out var old);
                switch (change.Kind)
                {
                    case ProcessChangeKind.Upsert or ProcessChangeKind.Exited:
                        h.Processes[p.Pid] = p;
                        break;
                    case ProcessChangeKind.Removed:
                        // Only that incarnation of the pid: a reused pid's new process stays.
                        if (old is not null && (old.StartedAt == p.StartedAt || old.ExitedAt is not null)) h.Processes.Remove(p.Pid);
                        break;
                }
            }
            foreach (var change in d.Containers.OrEmpty())
            {
                var c = change.Container;
                if (change.Kind == ContainerChangeKind.Upsert)
                {
                    if (!h.Containers.ContainsKey(c.Id)) events.Add(ContainerEvent(h, FleetEventKinds.ContainerStart, c, d.AsOf));
                    h.Containers[c.Id] = Intern(c);
                }
                else if (h.Containers.Remove(c.Id, out var gone))
                    events.Add(ContainerEvent(h, FleetEventKinds.ContainerStop, gone, d.AsOf));
            }
            h.Sequence = d.Sequence;
            h.AsOf = d.AsOf;
            h.DeltasApplied++;
            Touch(h, now, events, null, null);
        }
        return new IngestResult(IngestOutcome.Applied, events);
    }

    public IngestResult ApplyHeartbeat(AgentHeartbeat hb)
    {
        var now = Now;
        if (!_hosts.TryGetValue(hb.Host, out var h)) return AskUnknown(hb.Host, hb.Incarnation, "unknown host", now);
        var events = new List<FleetEvent>();
        lock (h.Gate)
        {
            if (h.Incarnation != hb.Incarnation)
                return Options.Trust is null && Holds(h, hb.AgentAddress) ? Refuse(h, "another agent holds this host", hb.AgentAddress, now)
                    : AskLocked(h, hb.Incarnation, "new incarnation", now);
            Touch(h, now, events, hb.Stats, hb.AgentAddress);
            if (hb.LastSequence > h.Sequence || h.TreeReleased)
            {
                // The last delta(s) never came: nothing later will show the gap, so ask now. Or the host came back
                // after its tree was let go: only a snapshot brings it back.
                h.AwaitingSnapshot = true;
                var ask = AskLocked(h, hb.Incarnation, h.TreeReleased ? $"behind: the tree was let go while the host was down"
                    : $"behind: heartbeat at sequence {hb.LastSequence}, we have {h.Sequence}", now, h.FirstMissing);
                return ask with { Events = events };
            }
        }
        return new IngestResult(IngestOutcome.Applied, events);
    }

    /// <summary>
    /// A batch of the host's exec/exit feed, from the incarnation we follow (anything else is dropped: the feed of a
    /// host no one proved is not news). A batch numbered past the one expected tells how many were lost on the way,
    /// and the agent's own drops come with the batch: both become a <see cref="FleetEventKinds.Dropped"/> event.
    /// </summary>
    public IngestResult ApplyFeed(HostFeed f)
    {
        if (!_hosts.TryGetValue(f.Host, out var h)) return IngestResult.Dropped;
        var events = new List<FleetEvent>();
        var now = Now;
        lock (h.Gate)
        {
            if (h.Incarnation != f.Incarnation) return IngestResult.Dropped;
            var following = h.FeedIncarnation == f.Incarnation;
            if (following && f.First < h.FeedNext) return IngestResult.Duplicate;
            if (following && f.First > h.FeedNext) events.Add(DroppedEvent(h, f.First - h.FeedNext, "lost between the agent and this aggregator", now));
            if (f.Dropped > 0) events.Add(DroppedEvent(h, f.Dropped, "the agent's feed buffer was full", now));
            h.FeedIncarnation = f.Incarnation;
            h.FeedNext = f.Next;
            foreach (var e in f.Events.OrEmpty()) events.Add(FeedEvent(h, e));
            h.FeedEvents += f.Events.OrEmpty().Length;
            h.FeedDropped += events.Sum(e => e.Dropped ?? 0);
        }
        return new IngestResult(IngestOutcome.Applied, events);
    }

    /// <summary>
    /// The ClusterClient at <paramref name="agentAddress"/> went unreachable (unless heard from just now): its hosts are
    /// stale, and down once silent for <see cref="FleetOptions.RestartGrace"/> (see <see cref="Sweep"/>).
    /// </summary>
    public IReadOnlyList<FleetEvent> MarkUnreachable(string agentAddress)
    {
        var now = Now;
        var events = new List<FleetEvent>();
        foreach (var h in _hosts.Values)
            lock (h.Gate)
                if (h.AgentAddress == agentAddress && h.Status != HostStatus.Down && now - h.LastSeen >= Options.UnreachableGrace)
                {
                    h.DisconnectedAt = now;
                    if (h.Status == HostStatus.Up) SetStatus(h, HostStatus.Stale, "agent disconnected", now, events);
                }
        return events;
    }

    /// <summary>
    /// The state was rebuilt from the journal (on this member or another): what it says is as old as its last record,
    /// so every host is stale until its agent speaks again (down after <see cref="FleetOptions.DownAfter"/> of silence).
    /// </summary>
    public IReadOnlyList<FleetEvent> Recovered(string reason)
    {
        var now = Now;
        var events = new List<FleetEvent>();
        foreach (var h in _hosts.Values)
            lock (h.Gate)
            {
                h.LastSeen = now;
                if (h.Status != HostStatus.Down) SetStatus(h, HostStatus.Stale, reason, now, events);
            }
        return events;
    }

    /// <summary>Periodic: up → stale → down on missing heartbeats; forgets down hosts after the retention.</summary>
    public IReadOnlyList<FleetEvent> Sweep()
    {
        var now = Now;
        var events = new List<FleetEvent>();
        foreach (var h in _hosts.Values)
        {
            lock (h.Gate)
            {
                var silent = now - h.LastSeen;
                if (h.Status != HostStatus.Down && silent > Options.DownAfter)
                    SetStatus(h, HostStatus.Down, $"no heartbeat for {silent.TotalSeconds:0}s", now, events);
                else if (h.Status != HostStatus.Down && h.DisconnectedAt is not null && silent > Options.RestartGrace)
                    SetStatus(h, HostStatus.Down, "agent disconnected", now, events);
                else if (h.Status == HostStatus.Up && silent > Options.StaleAfter)
                    SetStatus(h, HostStatus.Stale, $"no heartbeat for {silent.TotalSeconds:0}s", now, events);
                if (h.Conflict is { } conflict && now - conflict.LastSeen > Options.DownAfter) h.Conflict = null;
                // Memory in proportion to what is alive: a host down for a while keeps only its summary.
                if (h.Status == HostStatus.Down && h.DownSince is { } downSince && now - downSince > Options.TreeRetention && !h.TreeReleased)
                    h.ReleaseTree();
                if (h.Status == HostStatus.Down && h.DownSince is { } since && now - since > Options.Retention)
                {
                    _hosts.TryRemove(h.Host, out _);
                    events.Add(new FleetEvent { Kind = FleetEventKinds.HostRemoved, Host = h.Host, At = now, Reason = "retention" });
                }
            }
        }
        foreach (var key in _asked.Where(kv => now - kv.Value.At > Options.Retention).Select(kv => kv.Key).ToList()) _asked.Remove(key);
        return events;
    }

    /// <summary>
    /// Whether the incarnation following <paramref name="h"/> keeps it from another: while it is up, unless the
    /// newcomer speaks from the same agent address (the same agent restarted on a fixed port).
    /// </summary>
    private static bool Holds(HostState h, string? claimant) =>
        h.Status == HostStatus.Up && !(claimant is not null && claimant == h.AgentAddress);

    private static IngestResult Refuse(HostState h, string reason, string? agentAddress, DateTimeOffset now)
    {
        var old = h.Conflict;
        var fresh = old is null || old.Reason != reason || (agentAddress is not null && old.AgentAddress != agentAddress);
        h.Conflict = new HostConflict
        {
            Reason = reason, AgentAddress = agentAddress ?? old?.AgentAddress, FirstSeen = fresh ? now : old!.FirstSeen, LastSeen = now,
            Refused = (fresh ? 0 : old!.Refused) + 1,
        };
        return new IngestResult(IngestOutcome.Refused, [], Refusal: $"host {h.Host}: refused an agent at {agentAddress ?? "?"}: {reason}", NewConflict: fresh);
    }

    private void Touch(HostState h, DateTimeOffset now, List<FleetEvent> events, AgentStats? stats, string? agentAddress, bool force = false)
    {
        h.LastSeen = now;
        if (stats is not null) h.Stats = stats;
        if (agentAddress is not null) h.AgentAddress = agentAddress;
        if (h.Status != HostStatus.Up || force) SetStatus(h, HostStatus.Up, null, now, events);
    }

    private static void SetStatus(HostState h, HostStatus status, string? reason, DateTimeOffset now, List<FleetEvent> events)
    {
        h.Status = status;
        h.StatusReason = reason;
        h.DownSince = status == HostStatus.Down ? now : null;
        if (status == HostStatus.Up) h.DisconnectedAt = null;
        var kind = status switch { HostStatus.Up => FleetEventKinds.HostUp, HostStatus.Stale => FleetEventKinds.HostStale, _ => FleetEventKinds.HostDown };
        events.Add(new FleetEvent { Kind = kind, Host = h.Host, At = now, Reason = reason });
    }

    /// <summary>A snapshot request (at most one per <see cref="FleetOptions.SnapshotRetry"/>); <paramref name="from"/>: the first sequence missing, when deltas from there would do.</summary>
    private IngestResult AskLocked(HostState h, string incarnation, string reason, DateTimeOffset now, long? from = null)
    {
        if (now - h.SnapshotRequestedAt < Options.SnapshotRetry) return IngestResult.Dropped;
        h.SnapshotRequestedAt = now;
        return new IngestResult(IngestOutcome.SnapshotNeeded, [], new SnapshotRequest(h.Host, incarnation, reason, from));
    }

    private IngestResult AskUnknown(string host, string incarnation, string reason, DateTimeOffset now)
    {
        if (_asked.TryGetValue(host, out var last) && last.Incarnation == incarnation && now - last.At < Options.SnapshotRetry)
            return IngestResult.Dropped;
        _asked[host] = (incarnation, now);
        return new IngestResult(IngestOutcome.SnapshotNeeded, [], new SnapshotRequest(host, incarnation, reason));
    }

    private static FleetEvent FeedEvent(HostState h, FeedEvent e)
    {
        // The agent caps argv already; an agent is not trusted to.
        var argv = FeedLimits.Cap(e.Argv, FeedLimits.ArgvChars, out var cut);
        return new FleetEvent
        {
            Kind = e.Kind == FeedEventKind.Exec ? FleetEventKinds.Exec : FleetEventKinds.Exit, Host = h.Host, At = e.At, ReceivedAt = e.ReceivedAt,
            Seq = e.Seq, Pid = e.Pid, Ppid = e.Ppid, Exe = e.Exe, Argv = argv, ArgvTruncated = e.ArgvTruncated || cut, Uid = e.Uid,
            Container = e.Container, ContainerName = e.Container is { } c && h.Containers.TryGetValue(c, out var ci) ? ci.Name : null,
            ExitCode = e.ExitCode, Signal = e.Signal, Cause = e.Cause,
        };
    }

    private static FleetEvent DroppedEvent(HostState h, long count, string reason, DateTimeOffset now) => new()
    {
        Kind = FleetEventKinds.Dropped, Host = h.Host, At = now, Dropped = count, Reason = reason,
    };

    private static FleetEvent ContainerEvent(HostState h, string kind, ContainerInfo c, DateTimeOffset at) => new()
    {
        Kind = kind, Host = h.Host, At = at, Container = c.Id, ContainerName = c.Name, Image = c.Image, Pid = c.InitPid,
    };

    private string? Pool(string? s)
    {
        if (s is null) return null;
        if (_pool.TryGetValue(s, out var kept)) return kept;
        if (_pool.Count > 1_000_000) _pool.Clear(); // bounded: a pathological fleet costs memory, not correctness
        _pool[s] = s;
        return s;
    }

    private ProcessInfo Intern(ProcessInfo p)
    {
        p = Options.Caps.Apply(p); // whatever the agent applied
        var argv = p.Argv.OrEmpty();
        // argv[0] is usually the exe or comm: share those strings too.
        if (argv.Length > 0 && _pool.TryGetValue(argv[0], out var a0) && !ReferenceEquals(a0, argv[0])) argv = argv.SetItem(0, a0);
        return p with { Container = Pool(p.Container), Exe = Pool(p.Exe), Comm = Pool(p.Comm), Cwd = Pool(p.Cwd), Argv = argv };
    }

    private ContainerInfo Intern(ContainerInfo c) => c with { Id = Pool(c.Id)!, Image = Pool(c.Image), Name = Pool(c.Name) };

    // ---- queries (any thread) -----------------------------------------------------------------

    public HostState? Get(string host) => _hosts.GetValueOrDefault(host);
    public int HostCount => _hosts.Count;
    public long TotalProcesses => _hosts.Values.Sum(h => (long)h.ProcessCount);

    public IReadOnlyList<HostSummary> Hosts() =>
        _hosts.Values.Select(h => h.Summary()).OrderBy(s => s.Host, StringComparer.Ordinal).ToList();

    public IReadOnlyList<ContainerView> Containers(string? host = null)
    {
        var list = new List<ContainerView>();
        foreach (var h in HostsFor(host))
            lock (h.Gate)
                foreach (var c in h.OrderedContainers())
                    list.Add(ContainerView.From(h.Host, c));
        return list;
    }

    /// <summary>A container by full id, name, or unique id prefix (as docker accepts them), on one host or across the fleet.</summary>
    public ContainerLookup FindContainer(string key, string? host = null)
    {
        key = key.Trim();
        if (key.Length == 0) return ContainerLookup.NotFound;
        var byId = new List<(HostState, ContainerInfo)>();
        var byName = new List<(HostState, ContainerInfo)>();
        var byPrefix = new List<(HostState, ContainerInfo)>();
        var name = key.TrimStart('/');
        foreach (var h in HostsFor(host))
            lock (h.Gate)
                foreach (var c in h.Containers.Values)
                {
                    if (c.Id == key) byId.Add((h, c));
                    else if (c.Name is { } n && n.TrimStart('/') == name) byName.Add((h, c));
                    else if (c.Id.StartsWith(key, StringComparison.OrdinalIgnoreCase)) byPrefix.Add((h, c));
                }
        var matches = byId.Count > 0 ? byId : byName.Count > 0 ? byName : byPrefix;
        if (matches.Count == 0) return ContainerLookup.NotFound;
        if (matches.Count > 1)
            return new ContainerLookup(null, matches.Select(m => ContainerView.From(m.Item1.Host, m.Item2)).ToList());
        var (hs, ci) = matches[0];
        lock (hs.Gate)
        {
            var procs = hs.Processes.Values.Where(p => p.Container == ci.Id && p.ExitedAt is null).OrderBy(p => p.Pid).ToImmutableArray();
            return new ContainerLookup(new ContainerDetail { Host = hs.Host, Container = ci, Processes = procs }, []);
        }
    }

    public IReadOnlyList<ProcessView> Processes(ProcessQuery q)
    {
        var result = new List<ProcessView>();
        string? containerId = null;
        if (q.Container is not null)
        {
            var found = FindContainer(q.Container, q.Host);
            if (found.Detail is null) return result;
            containerId = found.Detail.Container.Id;
        }
        foreach (var h in HostsFor(q.Host))
            lock (h.Gate)
                foreach (var p in h.Processes.Values.OrderBy(p => p.Pid))
                {
                    if (p.ExitedAt is not null) continue;
                    if (containerId is not null && p.Container != containerId) continue;
                    if (q.Exe is { } exe && !(p.Exe ?? "").Contains(exe, StringComparison.Ordinal) && !(p.Comm ?? "").Contains(exe, StringComparison.Ordinal)) continue;
                    if (q.Argv is { } argv && !string.Join(' ', p.Argv.OrEmpty()).Contains(argv, StringComparison.Ordinal)) continue;
                    result.Add(new ProcessView(h.Host, p));
                    if (result.Count >= q.Limit) return result;
                }
        return result;
    }

    private IEnumerable<HostState> HostsFor(string? host) =>
        host is null ? _hosts.Values.OrderBy(h => h.Host, StringComparer.Ordinal)
        : _hosts.TryGetValue(host, out var h) ? [h] : [];
}

public sealed record ProcessQuery(string? Host = null, string? Container = null, string? Exe = null, string? Argv = null, int Limit = 10_000);

public sealed record ContainerLookup(ContainerDetail? Detail, IReadOnlyList<ContainerView> Ambiguous)
{
    public static readonly ContainerLookup NotFound = new(null, []);
}

public sealed record ProcessView(string Host, ProcessInfo Process);

internal static class ImmutableArrayExtensions
{
    public static ImmutableArray<T> OrEmpty<T>(this ImmutableArray<T> a) => a.IsDefault ? ImmutableArray<T>.Empty : a;
}
