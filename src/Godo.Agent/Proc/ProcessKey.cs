namespace Godo.Agent.Proc;

/// <summary>
/// Identifies one process across pid reuse: its pid and its start time in clock ticks since boot
/// (field 22 of <c>/proc/PID/stat</c>). Two processes never share both on one boot.
/// </summary>
public readonly record struct ProcessKey(int Pid, ulong StartTicks)
{
    public override string ToString() => $"{Pid}@{StartTicks}";
}
