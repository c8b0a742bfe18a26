using System.Collections.Immutable;
using System.Text.Json;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Aggregator.History;

/// <summary>The rows one applied message adds or changes (upserts: a version closed is its row again, with valid_to set).</summary>
public sealed class HistoryBatch
{
    public List<ProcessVersionRow> Processes { get; } = new();
    public List<ContainerVersionRow> Containers { get; } = new();
    public List<KeyframeRow> Keyframes { get; } = new();
    public List<HistoryHostRow> Hosts { get; } = new();
    public bool IsEmpty => Processes.Count == 0 && Containers.Count == 0 && Keyframes.Count == 0 && Hosts.Count == 0;

    public void Add(HistoryBatch other)
    {
        Processes.AddRange(other.Processes);
        Containers.AddRange(other.Containers);
        Keyframes.AddRange(other.Keyframes);
        Hosts.AddRange(other.Hosts);
    }
}

/// <summary>
/// Turns what the aggregator applied (snapshots and deltas) into versions, by event time: a changed process closes its
/// open version at the change's time and opens a new one; an exit closes it at the exit; a snapshot closes what it no
/// longer has. A keyframe (the open versions) is written every <see cref="KeyframeEvery"/> of a host's event time, so
/// a tree at T never reads more than that much history. Plain and single-threaded: the history writer owns one.
/// </summary>
public sealed class HistoryRecorder(TimeSpan? keyframeEvery = null)
{
    /// <summary>The pid of a keyframe's marker row: a keyframe exists even when the host had no process.</summary>
    public const int KeyframeMarkerPid = -1;

    private sealed class HostHistory
    {
        public readonly Dictionary<(int Pid, long Started), ProcessVersionRow> Open = new();
        public readonly Dictionary<string, ContainerVersionRow> Containers = new(StringComparer.Ordinal);
        /// <summary>Processes whose exit is recorded, until their removal: a repeated exit changes nothing.</summary>
        public readonly HashSet<(int Pid, long Started)> Exited = new();
        public long? FirstAt;
        public long LastAt;
        public long? LastKeyframe;
    }

    private readonly Dictionary<string, HostHistory> _hosts = new(StringComparer.Ordinal);
    public TimeSpan KeyframeEvery { get; } = keyframeEvery ?? TimeSpan.FromMinutes(1);
    /// <summary>What is kept of each process: the aggregator's caps, whatever the agent applied.</summary>
    public ProcessCaps Caps { get; init; } = ProcessCaps.Default;

    /// <summary>Open versions of a host (tests; a restart's restore).</summary>
    public IReadOnlyCollection<ProcessVersionRow> OpenVersions(string host) =>
        _hosts.TryGetValue(host, out var h) ? h.Open.Values : [];

    /// <summary>After a restart: what the store holds open, so the next snapshot closes what is gone and keeps what is not.</summary>
    public void Restore(IEnumerable<HistoryHostRow> hosts, IEnumerable<ProcessVersionRow> open, IEnumerable<ContainerVersionRow> openContainers,
        IReadOnlyDictionary<string, long> lastKeyframes)
    {
        foreach (var row in hosts) { var h = Host(row.Host); h.FirstAt = row.FirstAt; h.LastAt = row.LastAt; }
        foreach (var row in open) Host(row.Host).Open[(row.Pid, row.StartedAt)] = row;
        foreach (var row in openContainers) Host(row.Host).Containers[row.Id] = row;
        foreach (var (host, at) in lastKeyframes) Host(host).LastKeyframe = at;
    }

    /// <summary>The host's newest recorded event time (ms), when this recorder knows its history.</summary>
    public long? LastAt(string host) => _hosts.TryGetValue(host, out var h) && h.FirstAt is not null ? h.LastAt : null;

    /// <summary>Drops what is kept of a host no longer recorded here (its entity stopped or moved): memory follows the hosts held.</summary>
    public void Forget(string host) => _hosts.Remove(host);

    public HistoryBatch Record(IHostMessage applied) => applied switch
    {
        HostSnapshot s => RecordSnapshot(s),
        HostDelta d => RecordDelta(d),
        _ => new HistoryBatch(),
    };

    public HistoryBatch RecordSnapshot(HostSnapshot s)
    {
        var batch = new HistoryBatch();
        var processes = s.Processes.IsDefault ? [] : s.Processes;
        // An agent's tree before its first event has no event time: nothing to file it under.
        if (s.EventTime is null && processes.IsEmpty) return batch;
        var h = Host(s.Host);
        var at = Math.Max(Ms(s.EventTime ?? s.AsOf), h.LastAt);
        var seen = new HashSet<(int, long)>();
        foreach (var p in processes)
        {
            if (p.ExitedAt is not null) continue; // exited and not yet deleted: its exit came or comes in a delta
            var row = Row(s.Host, Caps.Apply(p));
            seen.Add((row.Pid, row.StartedAt));
            if (h.Open.TryGetValue((row.Pid, row.StartedAt), out var open))
            {
                if (SameContent(open, row)) continue;
                Close(h, batch, open, at);
                Open(h, batch, row with { ValidFrom = Math.Max(at, open.ValidFrom) });
                continue;
            }
            // New to the history: it lived from its start (a resync after a gap), within what the history covers; the
            // first record of a host knows only the present.
            var from = h.FirstAt is { } firstAt ? Math.Clamp(row.StartedAt, firstAt, at) : at;
            Open(h, batch, row with { ValidFrom = from });
        }
        foreach (var open in h.Open.Values.Where(o => !seen.Contains((o.Pid, o.StartedAt))).ToList())
            Close(h, batch, open, at);
        var containers = s.Containers.IsDefault ? [] : s.Containers;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in containers)
        {
            present.Add(c.Id);
            UpsertContainer(h, batch, s.Host, c, at);
        }
        foreach (var gone in h.Containers.Values.Where(c => !present.Contains(c.Id)).ToList())
            CloseContainer(h, batch, gone, at, gone: true);
        Finish(h, s.Host, batch, at, at);
        return batch;
    }

    public HistoryBatch RecordDelta(HostDelta d)
    {
        var batch = new HistoryBatch();
        var changes = d.Processes.IsDefault ? [] : d.Processes;
        var containerChanges = d.Containers.IsDefault ? [] : d.Containers;
        var h = Host(d.Host);
        var eventTime = Math.Max(EventTimeOf(d) ?? (h.FirstAt is null ? Ms(d.AsOf) : h.LastAt), h.LastAt);
        var first = long.MaxValue;
        foreach (var change in changes)
        {
            var row = Row(d.Host, change.Kind == ProcessChangeKind.Removed ? change.Process : Caps.Apply(change.Process));
            var at = change.At is { } a ? Ms(a) : eventTime;
            h.Open.TryGetValue((row.Pid, row.StartedAt), out var open);
            switch (change.Kind)
            {
                case ProcessChangeKind.Upsert:
                {
                    if (open is not null && SameContent(open, row)) break;
                    if (open is not null) Close(h, batch, open, at);
                    var from = open is null ? Math.Min(row.StartedAt, at) : Math.Max(at, open.ValidFrom);
                    // A new process on a pid still open under an older start: that one is gone (the pid was reused).
                    CloseOthersOnPid(h, batch, row, from);
                    Open(h, batch, row with { ValidFrom = from });
                    first = Math.Min(first, from);
                    break;
                }
                case ProcessChangeKind.Exited:
                {
                    if (open is null && h.Exited.Contains((row.Pid, row.StartedAt))) break;
                    if (h.Exited.Count > 100_000) h.Exited.Clear(); // bounded: removals normally empty it
                    h.Exited.Add((row.Pid, row.StartedAt));
                    var exitedAt = row.ExitedAt ?? at;
                    if (open is not null && !SameContent(open, row))
                    {
                        // Changed on its way out (reparented as its parent died, say): the last version begins then.
                        var changedAt = Math.Clamp(at, open.ValidFrom, Math.Max(open.ValidFrom, exitedAt));
                        Close(h, batch, open, changedAt);
                        open = row with { ValidFrom = changedAt };
                    }
                    else if (open is null)
                    {
                        var from = Math.Min(row.StartedAt, exitedAt);
                        CloseOthersOnPid(h, batch, row, from);
                        open = row with { ValidFrom = from };
                        first = Math.Min(first, from);
                    }
                    h.Open.Remove((open.Pid, open.StartedAt));
                    batch.Processes.Add(open with
                    {
                        ValidTo = Math.Max(exitedAt, open.ValidFrom), ExitedAt = exitedAt, ExitCode = change.ExitCode, Signal = change.Signal,
                    });
                    break;
                }
                case ProcessChangeKind.Removed:
                    h.Exited.Remove((row.Pid, row.StartedAt));
                    // Deleted after its exit (already closed), or gone without a seen exit: gone from then on.
                    if (open is not null) Close(h, batch, open, Math.Max(at, open.ValidFrom));
                    break;
            }
        }
        foreach (var change in containerChanges)
        {
            var at = change.At is { } a ? Ms(a) : eventTime;
            if (change.Kind == ContainerChangeKind.Upsert)
            {
                // Agents date each container change (its shim's exec starts it); one without a time began by its start at the latest.
                var from = change.At is null && !h.Containers.ContainsKey(change.Container.Id) && change.Container.StartedAt is { } started ? Math.Min(Ms(started), at) : at;
                UpsertContainer(h, batch, d.Host, change.Container, from);
                first = Math.Min(first, from);
            }
            else if (h.Containers.TryGetValue(change.Container.Id, out var open)) CloseContainer(h, batch, open, Math.Max(at, open.ValidFrom), gone: true);
        }
        if (batch.Processes.Count == 0 && batch.Containers.Count == 0 && h.FirstAt is null) return batch;
        Finish(h, d.Host, batch, Math.Min(first, eventTime), eventTime);
        return batch;
    }

    private void Finish(HostHistory h, string host, HistoryBatch batch, long first, long eventTime)
    {
        var fresh = h.FirstAt is null;
        h.FirstAt ??= first;
        h.LastAt = Math.Max(h.LastAt, eventTime);
        batch.Hosts.Add(new HistoryHostRow { Host = host, FirstAt = h.FirstAt.Value, LastAt = h.LastAt });
        if (!fresh && h.LastKeyframe is { } last && h.LastAt - last < (long)KeyframeEvery.TotalMilliseconds) return;
        // The first keyframe marks where the history begins, so a tree just after the first record needs no scan.
        var at = fresh ? h.FirstAt.Value : h.LastAt;
        h.LastKeyframe = at;
        batch.Keyframes.Add(new KeyframeRow { Host = host, At = at, Pid = KeyframeMarkerPid, StartedAt = 0, ValidFrom = 0 });
        foreach (var o in h.Open.Values)
            if (o.ValidFrom <= at)
                batch.Keyframes.Add(new KeyframeRow { Host = host, At = at, Pid = o.Pid, StartedAt = o.StartedAt, ValidFrom = o.ValidFrom });
    }

    private static void Open(HostHistory h, HistoryBatch batch, ProcessVersionRow row)
    {
        h.Open[(row.Pid, row.StartedAt)] = row;
        batch.Processes.Add(row);
    }

    private static void Close(HostHistory h, HistoryBatch batch, ProcessVersionRow open, long at)
    {
        h.Open.Remove((open.Pid, open.StartedAt));
        batch.Processes.Add(open with { ValidTo = Math.Max(at, open.ValidFrom) });
    }

    private static void CloseOthersOnPid(HostHistory h, HistoryBatch batch, ProcessVersionRow row, long at)
    {
        foreach (var other in h.Open.Values.Where(o => o.Pid == row.Pid && o.StartedAt != row.StartedAt).ToList())
            Close(h, batch, other, at);
    }

    private static void UpsertContainer(HostHistory h, HistoryBatch batch, string host, ContainerInfo c, long at)
    {
        var row = ContainerRow(host, c);
        if (h.Containers.TryGetValue(c.Id, out var open))
        {
            if (open with { ValidFrom = 0 } == row) return;
            at = Math.Max(at, open.ValidFrom);
            CloseContainer(h, batch, open, at, gone: false);
        }
        row = row with { ValidFrom = at };
        h.Containers[c.Id] = row;
        batch.Containers.Add(row);
    }

    private static void CloseContainer(HostHistory h, HistoryBatch batch, ContainerVersionRow open, long at, bool gone)
    {
        h.Containers.Remove(open.Id);
        batch.Containers.Add(open with { ValidTo = at, Gone = gone });
    }

    private HostHistory Host(string host)
    {
        if (!_hosts.TryGetValue(host, out var h)) _hosts[host] = h = new HostHistory();
        return h;
    }

    private static bool SameContent(ProcessVersionRow a, ProcessVersionRow b) =>
        a with { ValidFrom = 0, ValidTo = null, ExitedAt = null, ExitCode = null, Signal = null }
        == b with { ValidFrom = 0, ValidTo = null, ExitedAt = null, ExitCode = null, Signal = null };

    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    /// <summary>A delta's event time (ms): its own, else its newest change's; null when it has neither.</summary>
    public static long? EventTimeOf(HostDelta d) =>
        d.EventTime is { } e ? Ms(e) : (d.Processes.IsDefault ? [] : d.Processes).Where(c => c.At is not null).Select(c => (long?)Ms(c.At!.Value)).Max();

    /// <summary>The process as a version row (times still to be set by the rules above).</summary>
    public static ProcessVersionRow Row(string host, ProcessInfo p) => new()
    {
        Host = host, Pid = p.Pid, StartedAt = p.StartedAt is { } s ? Ms(s) : 0, Ppid = p.Ppid, Exe = p.Exe,
        Argv = JsonSerializer.Serialize(p.Argv.IsDefault ? [] : p.Argv.ToArray(), HistoryJsonContext.Default.StringArray),
        ArgvTruncated = p.ArgvTruncated, ArgvBytes = p.ArgvBytes, ArgvCount = p.ArgvCount, Container = p.Container, Uid = p.Uid,
        User = p.User, NsPid = p.NsPid, Cwd = p.Cwd, Comm = p.Comm, ExitedAt = p.ExitedAt is { } x ? Ms(x) : null,
    };

    public static ContainerVersionRow ContainerRow(string host, ContainerInfo c) => new()
    {
        Host = host, Id = c.Id, Name = c.Name, Image = c.Image, State = c.State, StartedAt = c.StartedAt is { } s ? Ms(s) : null,
        InitPid = c.InitPid, ShimPid = c.ShimPid,
        Labels = JsonSerializer.Serialize(c.Labels.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), HistoryJsonContext.Default.DictionaryStringString),
    };

    /// <summary>The row back in the public schema, as the process stood at <paramref name="at"/> (alive then: no exit yet).</summary>
    public static ProcessInfo Info(ProcessVersionRow r, bool withExit) => new()
    {
        Pid = r.Pid, Ppid = r.Ppid, Comm = r.Comm, Exe = r.Exe,
        Argv = (JsonSerializer.Deserialize(r.Argv, HistoryJsonContext.Default.StringArray) ?? []).ToImmutableArray(),
        ArgvTruncated = r.ArgvTruncated, ArgvBytes = r.ArgvBytes, ArgvCount = r.ArgvCount, Cwd = r.Cwd, Uid = r.Uid, User = r.User,
        Container = r.Container, NsPid = r.NsPid, StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt),
        ExitedAt = withExit && r.ExitedAt is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x) : null,
    };

    public static ContainerInfo ContainerInfo(ContainerVersionRow r, int processCount) => new()
    {
        Id = r.Id, Name = r.Name, Image = r.Image, InitPid = r.InitPid, ShimPid = r.ShimPid, ProcessCount = processCount, State = r.State,
        StartedAt = r.StartedAt is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
        Labels = (JsonSerializer.Deserialize(r.Labels, HistoryJsonContext.Default.DictionaryStringString) ?? new()).ToImmutableDictionary(StringComparer.Ordinal),
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class HistoryJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
