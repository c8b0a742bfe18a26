using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo lineage HOST PID [--at T]`: who started this process, up to pid 1, as they were at T (default: now).</summary>
public static class LineageCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var host = new Argument<string>("HOST") { Description = "the host of the process" };
        var pid = new Argument<int>("PID") { Description = "the process's pid on the host (not inside its container)" };
        var at = new Option<string?>("--at") { Description = "as they were at T (default: now): " + EventTime.Forms.Replace("give ", "") };
        var wide = new Option<bool>("--wide", "-w") { Description = "show whole command lines (default: cut to the terminal's width, 200 columns when not a terminal)" };
        var cmd = new Command("lineage", "Show a process and its ancestors up to pid 1, one per line, as they were at --at T (default: now).") { host, pid, at, wide };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            var p = parse.GetValue(pid);
            if (p <= 0) throw new UsageException($"bad PID {p}: give a process id on the host (1 or more)");
            var when = parse.GetValue(at) is { } a ? EventTime.Parse(a, DateTimeOffset.Now, "--at") : (DateTimeOffset?)null;
            using var api = client.Connect(parse);
            var path = $"/api/hosts/{Uri.EscapeDataString(parse.GetValue(host)!)}/processes/{p}" + (when is { } t ? $"?at={Uri.EscapeDataString(EventTime.ToQuery(t))}" : "");
            var json = await api.GetStringAsync(path, ct);
            if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
            var lineage = System.Text.Json.JsonSerializer.Deserialize<ProcessLineage>(json, ApiClient.Options)!;
            Console.Out.Write(HistoryText.Lineage(lineage, parse.GetValue(wide) ? null : TerminalText.OutputWidth()));
            return CommandLine.Ok;
        }));
        return cmd;
    }
}
