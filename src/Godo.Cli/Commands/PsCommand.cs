using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo ps [--container X] [--host H] [--exe E] [--argv A] [--sort KEY] [--wide]`: processes across the fleet.</summary>
public static class PsCommand
{
    private static readonly string[] SortKeys = ["pid", "start", "cmd", "user"];

    public static Command Create()
    {
        var client = new ClientOptions();
        var container = new Option<string?>("--container", "-c") { Description = "only this container's processes (id, id prefix or name)" };
        var host = new Option<string?>("--host") { Description = "only this host's processes" };
        var exe = new Option<string?>("--exe") { Description = "only processes whose executable (or comm) contains this" };
        var argv = new Option<string?>("--argv") { Description = "only processes whose command line contains this" };
        var sort = new Option<string>("--sort") { Description = "order of the rows: pid (default), start, cmd or user", DefaultValueFactory = _ => "pid" };
        sort.AcceptOnlyFromAmong(SortKeys);
        var wide = new Option<bool>("--wide", "-w") { Description = "show whole command lines (default: cut to the terminal's width, 200 columns when not a terminal)" };
        var cmd = new Command("ps", "List live processes across the fleet, by host, container, executable or command line.") { container, host, exe, argv, sort, wide };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var query = new List<string>();
            void Add(string name, string? value) { if (!string.IsNullOrEmpty(value)) query.Add($"{name}={Uri.EscapeDataString(value)}"); }
            Add("container", parse.GetValue(container));
            Add("host", parse.GetValue(host));
            Add("exe", parse.GetValue(exe));
            Add("argv", parse.GetValue(argv));
            var json = await api.GetStringAsync("/api/processes" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
            if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
            var rows = System.Text.Json.JsonSerializer.Deserialize<List<ProcessRow>>(json, ApiClient.Options)!;
            // Processes of a host that is down or stale are what it last sent: marked, since they may be gone.
            var status = rows.Count == 0 ? new() : (await api.GetAsync<List<HostSummary>>("/api/hosts", ct)).ToDictionary(h => h.Host, h => h.Status);
            var table = new Table("HOST", "PID", "PPID", "NSPID", "CONTAINER", "USER", "STARTED", "COMMAND")
                .FitTo(parse.GetValue(wide) ? null : TerminalText.OutputWidth());
            foreach (var p in Sorted(rows, parse.GetValue(sort)!))
                table.Add(HostStatusText.Mark(p.Host, status.TryGetValue(p.Host, out var s) ? s : null), p.Pid, p.Ppid, p.NsPid,
                    p.ContainerName?.TrimStart('/') ?? (p.Container is null ? null : TreeRenderer.Short(p.Container)), User(p),
                    p.StartedAt?.UtcDateTime.ToString("HH:mm:ss"), new Shown(TreeRenderer.Argv(p.Argv, p.Comm)));
            Console.Out.Write(rows.Count == 0 ? "no matching processes\n" : table.ToString());
            return CommandLine.Ok;
        }));
        return cmd;
    }

    /// <summary>The user's name where the host's agent knows it, else the uid.</summary>
    private static string? User(ProcessRow p) => p.User ?? p.Uid?.ToString();

    private static IEnumerable<ProcessRow> Sorted(List<ProcessRow> rows, string key) => key switch
    {
        "start" => rows.OrderBy(p => p.StartedAt ?? DateTimeOffset.MaxValue).ThenBy(p => p.Host, StringComparer.Ordinal).ThenBy(p => p.Pid),
        "cmd" => rows.OrderBy(p => TreeRenderer.Argv(p.Argv, p.Comm), StringComparer.Ordinal).ThenBy(p => p.Host, StringComparer.Ordinal).ThenBy(p => p.Pid),
        "user" => rows.OrderBy(p => p.User is null).ThenBy(p => p.User, StringComparer.Ordinal).ThenBy(p => p.Uid ?? int.MaxValue).ThenBy(p => p.Host, StringComparer.Ordinal).ThenBy(p => p.Pid),
        _ => rows.OrderBy(p => p.Pid).ThenBy(p => p.Host, StringComparer.Ordinal),
    };
}
