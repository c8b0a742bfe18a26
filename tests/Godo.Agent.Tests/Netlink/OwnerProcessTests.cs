using Godo.Agent.Netlink;

namespace Godo.Agent.Tests.Netlink;

/// <summary>Who owns the audit state file: the pid, its start time and its executable must all still match.</summary>
public class OwnerProcessTests
{
    private const ulong Started = 123_456;
    private const string Exe = "/usr/lib/godo/godo";

    [Fact]
    public void The_same_running_process_is_alive()
    {
        Assert.Equal(OwnerFate.Alive, OwnerProcess.Judge(42, Started, Exe, new OwnerProcess(42, 'S', Started, Exe)));
    }

    [Fact]
    public void A_missing_pid_is_gone_and_a_zombie_is_dead()
    {
        Assert.Equal(OwnerFate.Gone, OwnerProcess.Judge(42, Started, Exe, null));
        Assert.Equal(OwnerFate.Zombie, OwnerProcess.Judge(42, Started, Exe, new OwnerProcess(42, 'Z', Started, null)));
    }

    [Fact]
    public void Another_start_time_or_executable_is_a_reused_pid()
    {
        Assert.Equal(OwnerFate.PidReused, OwnerProcess.Judge(42, Started, Exe, new OwnerProcess(42, 'S', Started + 1, Exe)));
        Assert.Equal(OwnerFate.PidReused, OwnerProcess.Judge(42, Started, Exe, new OwnerProcess(42, 'S', Started, "/usr/bin/sleep")));
    }

    [Fact]
    public void An_executable_replaced_by_an_upgrade_is_still_the_same_process()
    {
        Assert.Equal(OwnerFate.Alive, OwnerProcess.Judge(42, Started, Exe, new OwnerProcess(42, 'S', Started, Exe + " (deleted)")));
    }

    [Fact]
    public void A_record_without_start_time_is_judged_by_the_pid_alone()
    {
        Assert.Equal(OwnerFate.Alive, OwnerProcess.Judge(42, null, null, new OwnerProcess(42, 'S', Started, "/usr/bin/sleep")));
    }

    [Fact]
    public void This_process_reads_as_itself_from_proc()
    {
        var self = OwnerProcess.Read(Environment.ProcessId);
        Assert.NotNull(self);
        Assert.NotEqual(0UL, self.StartTicks);
        Assert.Equal(Environment.ProcessPath, self.Exe);
        Assert.Equal(OwnerFate.Alive, OwnerProcess.Judge(Environment.ProcessId, self.StartTicks, self.Exe, OwnerProcess.Read(Environment.ProcessId)));
    }
}
