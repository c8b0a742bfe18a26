using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo ps [--container X] [--host H] [--exe E] [--argv A]`: processes across the fleet.</summary>
public static class PsCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var container = new Option<string?>("--container", "-c") { Description = "only this container's processes (id, id prefix or name)" };
        var host = new Option<string?>("--host") { Description = "only this host's processes" };
        var exe = new Option<string?>("--exe") { Description = "only processes whose executable (or comm) contains this" };
        var argv = new Option<string?>("--argv") { Description = "only processes whose command line contains this" };
        var cmd = new Command("ps", "List live processes across the fleet, by host, container, executable or command line.") { container, host, exe, argv };
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
            var table = new Table("HOST", "PID", "PPID", "NSPID", "CONTAINER", "UID", "STARTED", "COMMAND");
            foreach (var p in rows)
                table.Add(p.Host, p.Pid, p.Ppid, p.NsPid, p.ContainerName?.TrimStart('/') ?? (p.Container is null ? null : TreeRenderer.Short(p.Container)), p.Uid,
                    p.StartedAt?.UtcDateTime.ToString("HH:mm:ss"),
                    TreeRenderer.Argv(new Godo.Messages.Model.ProcessInfo { Pid = p.Pid, Ppid = p.Ppid, Comm = p.Comm, Argv = p.Argv }));
            Console.Out.Write(rows.Count == 0 ? "no matching processes\n" : table.ToString());
            return CommandLine.Ok;
        }));
        return cmd;
    }
}
