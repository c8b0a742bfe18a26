using System.CommandLine;
using Godo.Cli;
using Godo.Cli.Commands;

// A replay's actor system starts before anything else, beside the command line's parsing (not for --help).
if (args is ["replay", ..] && !args.Any(a => a is "-h" or "--help" or "-?"))
{
    Godo.Agent.Replay.ReplayTimeline.Mark("Main");
    if (ReplayCommand.Overlap) Godo.Agent.Replay.ReplayRunner.StartEarly();
}

var root = new RootCommand("godo: the exact, live process tree of every Docker host, from the kernel's audit subsystem.");
root.Subcommands.Add(ReplayCommand.Create());
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

return await CommandLine.InvokeAsync(root, args);
