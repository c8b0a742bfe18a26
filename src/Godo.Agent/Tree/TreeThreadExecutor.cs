using Akka.Configuration;
using Akka.Dispatch;

namespace Godo.Agent.Tree;

/// <summary>
/// The tree actor's own thread (<c>godo.agent.tree-dispatcher</c>; a live agent's router and assemblers run there too),
/// which blocks as soon as it has nothing to run.
/// Akka's PinnedDispatcher spins in sched_yield before it sleeps, so every message the tree got cost a burst of
/// syscalls: most of an agent's CPU at rest and a good part of it in a storm.
/// </summary>
public sealed class TreeThreadExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new TreeThreadExecutor(id);
}

/// <summary>One thread, a FIFO of runnables, Monitor.Wait when empty (no spinning).</summary>
public sealed class TreeThreadExecutor : ExecutorService
{
    private readonly Queue<IRunnable> _work = new();
    private readonly object _gate = new();
    private bool _sleeping;
    private bool _shutdown;

    public TreeThreadExecutor(string id) : base(id)
    {
        new Thread(Run) { IsBackground = true, Name = "godo.agent.tree" }.Start();
    }

    public override void Execute(IRunnable run)
    {
        lock (_gate)
        {
            _work.Enqueue(run);
            if (_sleeping) Monitor.Pulse(_gate);
        }
    }

    public override void Shutdown()
    {
        lock (_gate)
        {
            _shutdown = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            IRunnable next;
            lock (_gate)
            {
                while (_work.Count == 0)
                {
                    if (_shutdown) return;
                    _sleeping = true;
                    Monitor.Wait(_gate);
                    _sleeping = false;
                }
                next = _work.Dequeue();
            }
            // A mailbox run handles its actor's failures itself; anything escaping would end the thread, so it may not.
            try { next.Run(); }
            catch (Exception e) { Console.Error.WriteLine($"godo: the tree's thread: {e.Message}"); }
        }
    }
}
