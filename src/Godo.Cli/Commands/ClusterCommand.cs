using System.CommandLine;
using System.Text.Json;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo cluster show|leave|down|tail`: Petabridge.Cmd's cluster commands, through an aggregator's API.</summary>
public static class ClusterCommand
{
    public static Command Create()
    {
        var cmd = new Command("cluster", "Inspect and manage the aggregators' cluster (what pbm's cluster commands did).");
        cmd.Subcommands.Add(Show());
        cmd.Subcommands.Add(Leave());
        cmd.Subcommands.Add(Down());
        cmd.Subcommands.Add(Tail());
        return cmd;
    }

    private static Command Show()
    {
        var client = new ClientOptions();
        var cmd = new Command("show", "Members (address, roles, status, reachability, leader) and the agents feeding the fleet.");
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var json = await api.GetStringAsync("/api/cluster", ct);
            if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
            var view = JsonSerializer.Deserialize<ClusterView>(json, ApiClient.Options)!;
            var members = new Table("ADDRESS", "STATUS", "REACHABLE", "ROLES", "LEADER", "SELF");
            foreach (var m in view.Members)
                members.Add(m.Address, m.Status, m.Reachable ? "yes" : "NO", string.Join(',', m.Roles), m.Leader ? "leader" : "", m.Self ? "*" : "");
            Console.Out.Write(members.ToString());
            Console.Out.WriteLine();
            var agents = new Table("AGENT HOST", "STATUS", "ADDRESS", "VERSION", "UPTIME", "LAST SEEN", "CONNECTED HERE");
            foreach (var a in view.Agents)
                agents.Add(a.Host, a.Status, a.Address ?? "(in process)", a.Version, a.UptimeSeconds is { } u ? TimeSpan.FromSeconds(Math.Round(u)).ToString() : null,
                    a.LastSeen, a.ConnectedHere ? "yes" : "");
            Console.Out.Write(view.Agents.Count == 0 ? "no agents\n" : agents.ToString());
            return CommandLine.Ok;
        }));
        return cmd;
    }

    private static Command Leave()
    {
        var client = new ClientOptions();
        var address = new Argument<string?>("ADDRESS") { Description = "the member to leave, akka.tcp://godo@HOST:PORT; default: the aggregator at --server", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("leave", "Make a member leave the cluster gracefully (its process then exits).") { address };
        client.AddTo(cmd, json: false);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var a = parse.GetValue(address);
            if (a is not null && MemberAddress.Problem(a, "address", out _) is { } problem) throw new UsageException(problem);
            var json = await api.PostAsync("/api/cluster/leave", new AddressRequest(a), ct);
            var r = JsonSerializer.Deserialize<ClusterActionResult>(json, ApiClient.Options)!;
            Console.Out.WriteLine(TerminalText.Escape($"{r.Address}: leaving"));
            return CommandLine.Ok;
        }));
        return cmd;
    }

    private static Command Down()
    {
        var client = new ClientOptions();
        var address = new Argument<string>("ADDRESS") { Description = "the member to down, akka.tcp://godo@HOST:PORT" };
        var cmd = new Command("down", "Mark a member down (for one that is gone for good; the split brain resolver does it after 20 s on its own).") { address };
        client.AddTo(cmd, json: false);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var a = parse.GetValue(address)!;
            var json = await api.PostAsync("/api/cluster/down", new AddressRequest(a), ct);
            var r = JsonSerializer.Deserialize<ClusterActionResult>(json, ApiClient.Options)!;
            Console.Out.WriteLine(TerminalText.Escape($"{r.Address}: down"));
            return CommandLine.Ok;
        }));
        return cmd;
    }

    private static Command Tail()
    {
        var client = new ClientOptions();
        var cmd = new Command("tail", "Follow membership and reachability changes as this aggregator sees them; Ctrl+C to stop.");
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var json = parse.GetValue(client.Json);
            try
            {
                await api.FollowAsync("/api/cluster/events", async (_, data) =>
                {
                    if (json) { Console.Out.WriteLine(data); return; }
                    var e = JsonSerializer.Deserialize<ClusterEventInfo>(data, ApiClient.Options)!;
                    await Console.Out.WriteLineAsync(TerminalText.Escape($"{e.At.UtcDateTime:HH:mm:ss.fff}  {e.Kind,-18} {e.Address}" + (e.Roles.Count > 0 ? $"  [{string.Join(',', e.Roles)}]" : "")));
                }, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (IOException) when (!ct.IsCancellationRequested) { throw new ServerException($"the aggregator at {api.Server} closed the event stream"); }
            return CommandLine.Ok;
        }));
        return cmd;
    }
}
