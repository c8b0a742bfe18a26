using Godo.Agent.Audit;

namespace Godo.Agent.Tree;

/// <summary>
/// Which events a tree as of `--until T` applies: those whose time is at or before T, in log order, wherever they
/// stand in the log. A wait's record carries its entry time, so a wait logged after a later event returned after it:
/// its time is the newest event time seen by then. One rule for `godo replay` (the tree actor) and the tests' replays.
/// </summary>
public sealed class EventCut(long? untilMs)
{
    private long _newestMs;

    public long? UntilMs { get; } = untilMs;

    /// <summary>The event's time on the cut's clock; call once per event, in log order (it moves the clock on).</summary>
    public long TimeOf(AuditEvent e)
    {
        _newestMs = Math.Max(_newestMs, e.TimeMs);
        return SyscallTable.IsWait(e.Kind) ? _newestMs : e.TimeMs;
    }

    /// <summary>Whether the tree as of the cut applies <paramref name="e"/> (once per event, in log order).</summary>
    public bool Admits(AuditEvent e) => TimeOf(e) is var t && (UntilMs is not { } until || t <= until);
}
