using Godo.Messages.Wire;

namespace Godo.Agent.Publishing;

/// <summary>
/// The deltas sent most recently, so that an aggregator that lost some (the member that had them was killed, a message
/// lost in between) gets those again instead of a whole snapshot: after a failover each moved host lacks the second or
/// two sent to the dead member, and 70 snapshots of 500 processes at once are what kept the survivors saturated.
/// Bounded in bytes (estimated wire size), oldest dropped first, and in age (<see cref="MaxAge"/>: a gap shows within
/// seconds, and an agent at rest holds nothing for long). Each gap is answered this way once: asked again from the
/// same sequence (the resent ones were lost too), the publisher sends a snapshot. Plain: the publisher owns it.
/// </summary>
public sealed class SentDeltas(long limitBytes)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    // Entries are a class, not a value tuple: the list's code over a reference type is precompiled with the framework,
    // so the first trim at rest (a minute after start) compiles nothing (the JIT's run would fault its own library
    // back into an agent that had given it back).
    private readonly LinkedList<Sent> _sent = new();
    private long _resentFrom;

    public long LimitBytes { get; } = limitBytes;
    public long Bytes { get; private set; }
    public int Count => _sent.Count;

    /// <summary>Keeps <paramref name="delta"/>, the next in sequence after the last kept (else starts over from it).</summary>
    public void Add(HostDelta delta, long bytes, DateTime now)
    {
        if (_sent.Last is { } last && last.Value.Delta.Sequence + 1 != delta.Sequence) Clear();
        _sent.AddLast(new Sent(delta, bytes, now));
        Bytes += bytes;
        while (Bytes > LimitBytes) RemoveFirst();
        Trim(now);
    }

    /// <summary>Lets go of what is older than <see cref="MaxAge"/> (the publisher calls it on its heartbeat tick too).</summary>
    public void Trim(DateTime now)
    {
        while (_sent.First is { } first && first.Value.SentAt < now - MaxAge) RemoveFirst();
    }

    /// <summary>
    /// The deltas from <paramref name="from"/> through <paramref name="last"/> (the last sequence sent), when every one
    /// of them is still here and they were not resent from there before; else false (a snapshot is needed).
    /// </summary>
    public bool TryResend(long from, long last, out IReadOnlyList<HostDelta> deltas)
    {
        deltas = [];
        if (from <= _resentFrom || _sent.First is not { } first || first.Value.Delta.Sequence > from || _sent.Last!.Value.Delta.Sequence != last || from > last)
            return false;
        deltas = _sent.Select(d => d.Delta).Where(d => d.Sequence >= from).ToList();
        _resentFrom = from;
        return true;
    }

    /// <summary>A snapshot went out: every sequence before it is answered by it.</summary>
    public void Clear()
    {
        _sent.Clear();
        Bytes = 0;
    }

    private sealed record Sent(HostDelta Delta, long Bytes, DateTime SentAt);

    private void RemoveFirst()
    {
        Bytes -= _sent.First!.Value.Bytes;
        _sent.RemoveFirst();
    }
}
