using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Godo.Agent.Assembly;
using Godo.Agent.Tree;

namespace Godo.Agent.Replay;

/// <summary>
/// Compiles a replay's per-record code while its actor system starts. That start is one thread's work (most of a
/// replay's start-up), so the other core is half idle meanwhile; the per-record methods (parser, assembly policy, event
/// builder, tree: the ones left to the JIT, see Godo.Cli.csproj) were compiled only once the first records reached the
/// router, on the critical path. A few sample events go through the same classes on their own (no actors, output thrown
/// away), and the actors' own hot methods are compiled directly. Nothing of the replay is shared with it.
/// </summary>
public static class PipelineWarmUp
{
    /// <summary>On unless GODO_REPLAY_WARMUP=0, so the same binary can be timed both ways (bench/replay.sh, AB=1).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("GODO_REPLAY_WARMUP") != "0";

    /// <summary>An exec (its SYSCALL, EXECVE, CWD, PATH, PROCTITLE, EOE records), a clone of it and its exit.</summary>
    internal const string Sample = """
        type=SYSCALL msg=audit(1700000000.001:1): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=2 ppid=1 pid=100 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="sh" exe="/bin/sh" subj=unconfined key="godo"
        type=EXECVE msg=audit(1700000000.001:1): argc=3 a0="sh" a1="-c" a2="sleep 1"
        type=CWD msg=audit(1700000000.001:1): cwd="/"
        type=PATH msg=audit(1700000000.001:1): item=0 name="/bin/sh" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
        type=PROCTITLE msg=audit(1700000000.001:1): proctitle=7368002D6300736C6565702031
        type=EOE msg=audit(1700000000.001:1):
        type=SYSCALL msg=audit(1700000000.002:2): arch=c000003e syscall=56 success=yes exit=101 a0=1200011 a1=0 a2=0 a3=7f items=0 ppid=1 pid=100 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="sh" exe="/bin/sh" subj=unconfined key="godo"
        type=EOE msg=audit(1700000000.002:2):
        type=SYSCALL msg=audit(1700000000.003:3): arch=c000003e syscall=231 a0=0 a1=0 a2=0 a3=0 items=0 ppid=100 pid=101 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="sh" exe="/bin/sh" subj=unconfined key="godo"
        type=EOE msg=audit(1700000000.003:3):

        """;

    /// <summary>Starts the warm-up on the pool; a failure here costs only the time it would have saved.</summary>
    public static Task Start() => Task.Run(async () =>
    {
        try
        {
            foreach (var actor in new[] { typeof(SerialRouterActor), typeof(SerialAssemblerActor), typeof(ProcessTreeActor) })
                foreach (var method in actor.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    if (method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization) && !method.ContainsGenericParameters)
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
            await new SyncReplay().RunAsync(new MemoryStream(Encoding.ASCII.GetBytes(Sample)));
        }
        catch (Exception) { /* only ever a warm-up: the replay itself reports what goes wrong */ }
        ReplayTimeline.Mark("per-record code compiled");
    });
}
