using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo containers [--host H]`: every container of the fleet (or of one host).</summary>
public static class ContainersCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var host = new Option<string?>("--host") { Description = "only this host's containers" };
        var cmd = new Command("containers", "List the containers of the fleet (or of one host): host, id, name, image, processes, init pid.") { host };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var h = parse.GetValue(host);
            var json = await api.GetStringAsync("/api/containers" + (h is null ? "" : $"?host={Uri.EscapeDataString(h)}"), ct);
            if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
            var list = System.Text.Json.JsonSerializer.Deserialize<List<ContainerView>>(json, ApiClient.Options)!;
            var table = new Table("HOST", "CONTAINER ID", "NAME", "IMAGE", "STATE", "PROCESSES", "INIT PID", "STARTED");
            foreach (var c in list)
                table.Add(c.Host, TreeRenderer.Short(c.Id), c.Name?.TrimStart('/'), c.Image, c.State, c.ProcessCount, c.InitPid, c.StartedAt);
            Console.Out.Write(list.Count == 0 ? "no containers\n" : table.ToString());
            return CommandLine.Ok;
        }));
        return cmd;
    }
}
