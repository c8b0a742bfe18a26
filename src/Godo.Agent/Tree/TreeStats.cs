namespace Godo.Agent.Tree;

/// <summary>Counters of what the tree rules did; reported in the "stats" of every tree document.</summary>
public sealed class TreeStats
{
    public long EventsApplied;
    public long EventsSkipped;
    public long ProcessesCreated;
    public long Execs;
    public long Exits;
    public long Kills;
    /// <summary>Deaths known from the parent's wait4/waitid(P_PID) only (a signal the rules do not see).</summary>
    public long Reaps;
    /// <summary>Deaths known from a core dump (ANOM_ABEND).</summary>
    public long Crashes;
    public long ThreadsIgnored;
    public long Reparented;
    public long StalePpidRepaired;
    public long PidReuses;
    public long LateForkReturns;
    /// <summary>Children whose own records came before any record of their parent, linked when the parent appeared.</summary>
    public long Adopted;
    public long ContainerTeardowns;
    public long ProcessesDeleted;
    public long Corrections;
    /// <summary>Exits from the process events connector that exited a process; those for a process already dead, a reused pid, or a pid never seen.</summary>
    public long ProcEvents;
    public long ProcEventsDuplicate;
    public long ProcEventsStale;
    public long ProcEventsUnknown;

    public IEnumerable<KeyValuePair<string, long>> All()
    {
        yield return new("eventsApplied", EventsApplied);
        yield return new("eventsSkipped", EventsSkipped);
        yield return new("processesCreated", ProcessesCreated);
        yield return new("execs", Execs);
        yield return new("exits", Exits);
        yield return new("kills", Kills);
        yield return new("reaps", Reaps);
        yield return new("crashes", Crashes);
        yield return new("threadsIgnored", ThreadsIgnored);
        yield return new("reparented", Reparented);
        yield return new("stalePpidRepaired", StalePpidRepaired);
        yield return new("pidReuses", PidReuses);
        yield return new("lateForkReturns", LateForkReturns);
        yield return new("adopted", Adopted);
        yield return new("containerTeardowns", ContainerTeardowns);
        yield return new("processesDeleted", ProcessesDeleted);
        yield return new("corrections", Corrections);
        yield return new("procEvents", ProcEvents);
        yield return new("procEventsDuplicate", ProcEventsDuplicate);
        yield return new("procEventsStale", ProcEventsStale);
        yield return new("procEventsUnknown", ProcEventsUnknown);
    }
}
