using System.Collections.Immutable;
using Godo.Agent.Publishing;
using Godo.Agent.Tree;
using Godo.Messages.Model;
using Godo.Messages.Wire;

namespace Godo.Agent.Tests.Publishing;

public sealed class DeltaBufferTests
{
    private static TreeProtocol.TreeChanges Changes(int pid, int argvBytes) => new(DateTimeOffset.UnixEpoch,
        [new ProcessChange(ProcessChangeKind.Upsert, new ProcessInfo { Pid = pid, Ppid = 1, Argv = ["x", new string('a', argvBytes)] })], []);

    [Fact]
    public void Changes_are_held_in_order_within_the_bound()
    {
        var buffer = new DeltaBuffer(1024 * 1024);
        for (var i = 1; i <= 10; i++) Assert.True(buffer.Add(Changes(i, 1000)));
        Assert.Equal(10, buffer.Count);
        Assert.InRange(buffer.Bytes, 10 * 1000, 10 * 2000);
        for (var i = 1; i <= 10; i++)
        {
            Assert.True(buffer.TryTake(out var c));
            Assert.Equal(i, c.Processes[0].Process.Pid);
        }
        Assert.False(buffer.TryTake(out _));
        Assert.Equal(0, buffer.Bytes);
    }

    [Fact]
    public void Past_the_bound_everything_held_is_dropped_and_counted()
    {
        var buffer = new DeltaBuffer(64 * 1024);
        var held = 0;
        while (buffer.Add(Changes(held + 1, 10_000))) held++;
        Assert.InRange(held, 4, 6);
        Assert.Equal(0, buffer.Count);
        Assert.Equal(0, buffer.Bytes);
        Assert.Equal(1, buffer.Overflows);
        Assert.Equal(held + 1, buffer.Discarded);
        // it holds again afterwards, from empty
        Assert.True(buffer.Add(Changes(99, 10)));
        Assert.Equal(1, buffer.Count);
    }

    [Fact]
    public void The_size_is_counted_in_bytes_not_in_messages()
    {
        var buffer = new DeltaBuffer(4 * 1024 * 1024);
        // One hostile batch of 1 MB argv execs passes the bound at once, though it is a single message.
        var storm = new TreeProtocol.TreeChanges(DateTimeOffset.UnixEpoch,
            [.. Enumerable.Range(1, 5).Select(i => new ProcessChange(ProcessChangeKind.Upsert, new ProcessInfo { Pid = i, Ppid = 1, Argv = [new string('z', 1_000_000)] }))], []);
        Assert.False(buffer.Add(storm));
        Assert.Equal(1, buffer.Overflows);
    }
}
