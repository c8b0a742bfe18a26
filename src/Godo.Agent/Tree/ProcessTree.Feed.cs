using Godo.Messages.Wire;

namespace Godo.Agent.Tree;

/// <summary>How a process's death was learnt, for its feed event: the cause, and the exit code or signal when the source tells them.</summary>
public readonly record struct ExitNote(string Cause, int? ExitCode = null, int? Signal = null)
{
    public static readonly ExitNote Killed = new(ExitCauses.Killed, Signal: 9);
    /// <summary>The kernel kills what is left in a pid namespace whose init died.</summary>
    public static readonly ExitNote Teardown = new(ExitCauses.Teardown, Signal: 9);
    public static readonly ExitNote PidReused = new(ExitCauses.PidReused);
    public static readonly ExitNote Proc = new(ExitCauses.Proc);

    /// <summary>From a wait status (the connector's exit_code): the signal in the low 7 bits, else the status in the next byte.</summary>
    public static ExitNote FromWaitStatus(string cause, int status) =>
        (status & 0x7f) is var sig and > 0 ? new(cause, Signal: sig) : new(cause, ExitCode: (status >> 8) & 0xff);
}

/// <summary>
/// The feed: every exec and every exit the tree applies, recorded the moment it applies it, with the event's own time
/// (not derived afterwards from what changed, which loses the processes that came and went between two looks).
/// </summary>
public sealed partial class ProcessTree
{
    private readonly List<FeedEvent> _feed = new();

    /// <summary>Record feed events for <see cref="DrainFeed"/> (an agent that publishes turns this on; replay does not need it).</summary>
    public bool TrackFeed { get; set; }

    public bool HasFeed => _feed.Count > 0;

    /// <summary>The feed events recorded since the last call, in the order they were applied (unnumbered, argv uncapped).</summary>
    public List<FeedEvent> DrainFeed()
    {
        var list = new List<FeedEvent>(_feed);
        _feed.Clear();
        return list;
    }

    private void FeedExec(ProcessNode p, long timeMs)
    {
        if (!TrackFeed) return;
        _feed.Add(new FeedEvent
        {
            Kind = FeedEventKind.Exec, At = DateTimeOffset.FromUnixTimeMilliseconds(timeMs), Pid = p.Pid, Ppid = p.Ppid, Exe = p.Exe,
            Argv = p.Argv, Uid = p.Uid, Container = p.Container,
        });
    }

    private void FeedExit(ProcessNode p, long timeMs, ExitNote note)
    {
        if (!TrackFeed) return;
        _feed.Add(new FeedEvent
        {
            Kind = FeedEventKind.Exit, At = DateTimeOffset.FromUnixTimeMilliseconds(timeMs), Pid = p.Pid, Ppid = p.Ppid, Exe = p.Exe,
            Argv = p.Argv, Uid = p.Uid, Container = p.Container, Cause = note.Cause, ExitCode = note.ExitCode, Signal = note.Signal,
        });
    }
}
