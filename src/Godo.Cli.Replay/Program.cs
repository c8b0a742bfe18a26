using Godo.Cli;
using Godo.Cli.Commands;

// `godo-replay replay ...`: the launcher's native `godo replay`, the same command as the managed binary's.
if (ReplayCommand.IsReplay(args)) ReplayCommand.StartEarly();
var root = new System.CommandLine.RootCommand("godo replay: a host's process tree rebuilt from its audit log.") { ReplayCommand.Create() };
return await CommandLine.InvokeAsync(root, args);
