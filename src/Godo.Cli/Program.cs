using System.CommandLine;
using Godo.Cli;
using Godo.Cli.Commands;

// A replay's actor system starts before anything else, beside the command line's parsing (not for --help).
var replay = ReplayCommand.IsReplay(args);
if (replay)
{
    NativeReplay.TryExec(args); // returns only when there is no native replay to run
    ReplayCommand.StartEarly();
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
