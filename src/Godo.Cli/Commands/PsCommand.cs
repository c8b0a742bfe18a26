using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>
/// `godo ps [--container X] [--host H] [--exe E] [--argv A] [--from T1] [--to T2] [--sort KEY] [--wide]`: processes
/// across the fleet, live, or every one that lived in a window (exited ones with their exit).
/// </summary>
public static class PsCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var container = new Option<string?>("--container", "-c") { Description = "only this container's processes (id, id prefix or name)" };
        var host = new Option<string?>("--host") { Description = "only this host's processes" };
        var exe = new Option<string?>("--exe") { Description = "only processes whose executable (or comm) contains this" };
        var argv = new Option<string?>("--argv") { Description = "only processes whose command line contains this" };
        var sort = new Option<string>("--sort") { Description = "order of the rows: pid (default), start, cmd or user", DefaultValueFactory = _ => "pid" };
        sort.AcceptOnlyFromAmong(ProcessOrder.Keys);
        var wide = new Option<bool>("--wide", "-w") { Description = "show whole command lines (default: cut to the terminal's width, 200 columns when not a terminal)" };
        var from = new Option<string?>("--from") { Description = "every process that lived from T1 on, exited ones included (default with --to: the start of the history)" };
        var to = new Option<string?>("--to") { Description = "... up to T2 (default with --from: now). T: " + EventTime.Forms.Replace("give ", "") };
        var limit = new Option<int?>("--limit") { Description = "with --from/--to: at most this many processes, the newest started first (default: the server's)" };
        var cmd = new Command("ps", "List processes across the fleet, by host, container, executable or command line: live, or every one that lived between --from and --to.")
            { container, host, exe, argv, from, to, limit, sort, wide };
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
            if (Window(parse.GetValue(from), parse.GetValue(to), DateTimeOffset.Now) is { } window)
            {
                if (window.From is { } f) Add("from", EventTime.ToQuery(f));
                Add("to", EventTime.ToQuery(window.To));
                if (parse.GetValue(limit) is { } n) Add("limit", n > 0 ? n.ToString() : throw new UsageException($"bad --limit {n}: give a positive number"));
                var answer = await api.GetStringAsync("/api/processes?" + string.Join('&', query), ct);
                if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(answer)); return CommandLine.Ok; }
                var lives = System.Text.Json.JsonSerializer.Deserialize<List<ProcessLife>>(answer, ApiClient.Options)!;
                Console.Out.Write(HistoryText.Lives(lives, window.From, window.To, parse.GetValue(sort)!, parse.GetValue(wide) ? null : TerminalText.OutputWidth()));
                return CommandLine.Ok;
            }
            if (parse.GetValue(limit) is not null) throw new UsageException("--limit goes with --from or --to");
            var json = await api.GetStringAsync("/api/processes" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
            if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
            var rows = System.Text.Json.JsonSerializer.Deserialize<List<ProcessRow>>(json, ApiClient.Options)!;
            // Processes of a host that is down or stale are what it last sent: marked, since they may be gone.
            var status = rows.Count == 0 ? new() : (await api.GetAsync<List<HostSummary>>("/api/hosts", ct)).ToDictionary(h => h.Host, h => h.Status);
            var table = new Table("HOST", "PID", "PPID", "NSPID", "CONTAINER", "USER", "STARTED", "COMMAND")
                .FitTo(parse.GetValue(wide) ? null : TerminalText.OutputWidth());
            foreach (var p in ProcessOrder.Sort(rows, parse.GetValue(sort)!, p => new(p.Host, p.Pid, p.StartedAt, TreeRenderer.Argv(p.Argv, p.Comm), p.User, p.Uid)))
                table.Add(HostStatusText.Mark(p.Host, status.TryGetValue(p.Host, out var s) ? s : null), p.Pid, p.Ppid, p.NsPid,
                    p.ContainerName?.TrimStart('/') ?? (p.Container is null ? null : TreeRenderer.Short(p.Container)), User(p),
                    p.StartedAt?.UtcDateTime.ToString("HH:mm:ss"), new Shown(TreeRenderer.Argv(p.Argv, p.Comm)));
            Console.Out.Write(rows.Count == 0 ? "no matching processes\n" : table.ToString());
            return CommandLine.Ok;
        }));
        return cmd;
    }

    /// <summary>The window of --from/--to (--from alone: up to now; --to alone: from the start of the history); null for the live processes.</summary>
    public static (DateTimeOffset? From, DateTimeOffset To)? Window(string? from, string? to, DateTimeOffset now)
    {
        if (from is null && to is null) return null;
        var end = to is null ? now : EventTime.Parse(to, now, "--to");
        DateTimeOffset? start = from is null ? null : EventTime.Parse(from, now, "--from");
        return start is null || start <= end ? (start, end)
            : throw new UsageException($"--from {EventTime.Show(start.Value)} is after --to {EventTime.Show(end)}");
    }

    /// <summary>The user's name where the host's agent knows it, else the uid.</summary>
    private static string? User(ProcessRow p) => p.User ?? p.Uid?.ToString();
}
