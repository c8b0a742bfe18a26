using System.Text;
using Godo.Agent.Replay;
using Xunit;

namespace Godo.Agent.Tests.Replay;

public class PipelineWarmUpTests
{
    /// <summary>
    /// The warm-up compiles only the code its sample reaches: every record must parse and every event apply, or the
    /// replay's first records would find that code still to compile (the warm-up itself swallows failures).
    /// </summary>
    [Fact]
    public async Task The_sample_goes_through_parser_assembly_and_tree_as_an_exec_a_clone_and_an_exit()
    {
        var replay = new SyncReplay();
        await replay.RunAsync(new MemoryStream(Encoding.ASCII.GetBytes(PipelineWarmUp.Sample)));

        Assert.Equal(10, replay.Stats.Records);
        Assert.Equal(0, replay.Stats.Malformed);
        Assert.Equal(3, replay.Stats.Events);
        var sh = replay.Tree.Get(100);
        Assert.NotNull(sh);
        Assert.Equal(new[] { "sh", "-c", "sleep 1" }, sh.Argv.ToArray());
        Assert.Equal("/bin/sh", sh.Exe);
        var child = replay.Tree.Get(101);
        Assert.NotNull(child);
        Assert.Equal(100, child.Ppid);
        Assert.False(child.Alive);
    }
}
