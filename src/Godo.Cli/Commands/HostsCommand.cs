using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo hosts`: every host of the fleet with its status and agent figures.</summary>
public static class HostsCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var cmd = new Command("hosts", "List the fleet's hosts: status (up/stale/down), last seen, processes, containers, agent figures.");
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var json = await api.GetStringAsync("/api/hosts", ct);
            if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
            var hosts = System.Text.Json.JsonSerializer.Deserialize<List<HostSummary>>(json, ApiClient.Options)!;
            var table = new Table("HOST", "STATUS", "LAST SEEN", "PROCESSES", "CONTAINERS", "RECORDS/S", "EVENTS/S", "LOST", "CORRECTIONS", "EXITS FROM", "VERSION");
            foreach (var h in hosts)
                table.Add(h.Host, h.Status.ToString().ToLowerInvariant() + (h.StatusReason is { } r && h.Status != HostStatus.Up ? $" ({r})" : ""), h.LastSeen,
                    h.ProcessCount, h.ContainerCount, h.Stats.RecordsPerSecond.ToString("0"), h.Stats.EventsPerSecond.ToString("0"), h.Stats.Lost,
                    h.Stats.Corrections, h.ExitSources.IsDefaultOrEmpty ? null : string.Join('+', h.ExitSources), h.Stats.Version.Length == 0 ? null : h.Stats.Version);
            Console.Out.Write(hosts.Count == 0 ? "no hosts yet: no agent has reported to this aggregator\n" : table.ToString());
            // Another agent claiming a host is worth a line of its own: a cloned machine, or an impostor.
            foreach (var h in hosts)
                if (h.Conflict is { } c)
                    Console.Out.WriteLine(TerminalText.Escape($"conflict: {h.Host}: refused {c.Refused} message(s) from {c.AgentAddress ?? "another agent"} since {c.FirstSeen:u}: {c.Reason}"));
            return CommandLine.Ok;
        }));
        return cmd;
    }
}
