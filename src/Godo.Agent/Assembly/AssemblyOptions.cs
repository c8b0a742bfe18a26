namespace Godo.Agent.Assembly;

/// <summary>When an event without EOE counts as complete. auditd's logs carry no EOE, so these rules are what close events there.</summary>
public sealed record AssemblyOptions
{
    /// <summary>An event is complete once this many newer serials have started after it.</summary>
    public int ReorderWindow { get; init; } = 64;
    /// <summary>...or once the stream's event time is this far past the event's last record.</summary>
    public long EventTimeoutMs { get; init; } = 2000;
    /// <summary>Never hold more events open than this; past it the oldest is completed.</summary>
    public int MaxInFlight { get; init; } = 4096;
    /// <summary>How many completed serials are remembered to recognise late records.</summary>
    public int RecentCompletedCapacity { get; init; } = 16384;
}
