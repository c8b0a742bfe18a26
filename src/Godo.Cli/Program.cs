using System.CommandLine;
using Godo.Cli;
using Godo.Cli.Commands;

// A replay's actor system starts before anything else, beside the command line's parsing (not for --help).
var replay = args is ["replay", ..] && !args.Any(a => a is "-h" or "--help" or "-?");
if (replay)
{
    Godo.Agent.Replay.ReplayTimeline.Mark("Main");
    // No code generated at run time: Akka compiles a regular expression for HOCON durations and an expression tree per
    // actor type to match messages, each a DynamicMethod for the JIT. A replay reads a few durations and routes a few
    // thousand batches, so the interpreter costs less than compiling (5 % of a short replay's CPU). Set before anything
    // reads RuntimeFeature.IsDynamicCodeSupported, which caches it.
    AppContext.SetSwitch("System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported", false);
    if (ReplayCommand.Overlap) Godo.Agent.Replay.ReplayRunner.StartEarly();
}

var root = new RootCommand("godo: the exact, live process tree of every Docker host, from the kernel's audit subsystem.");
root.Subcommands.Add(ReplayCommand.Create());
// A replay parses only its own subcommand: building the others (their options, and the code that builds them) is
// start-up paid before the first record for nothing. The rest of the command line is what `godo --help` lists.
if (!replay) AddOtherCommands(root);

return await CommandLine.InvokeAsync(root, args);

static void AddOtherCommands(RootCommand root)
{
    root.Subcommands.Add(StandaloneCommand.Create());
    root.Subcommands.Add(AgentCommand.Create());
    root.Subcommands.Add(AggregatorCommand.Create());
    root.Subcommands.Add(HostsCommand.Create());
    root.Subcommands.Add(ContainersCommand.Create());
    root.Subcommands.Add(TreeCommand.Create());
    root.Subcommands.Add(PsCommand.Create());
    root.Subcommands.Add(LineageCommand.Create());
    root.Subcommands.Add(EventsCommand.Create());
    root.Subcommands.Add(ClusterCommand.Create());
    root.Subcommands.Add(CertsCommand.Create());
}
