using System.CommandLine;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>
/// `godo containers [KEY] [--host H] [--life]`: every container of the fleet (or of one host), the one KEY names, or
/// with --life the life of the container(s) KEY names: created, started, stopped, destroyed, from the history.
/// </summary>
public static class ContainersCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var host = new Option<string?>("--host") { Description = "only this host's containers" };
        var key = new Argument<string?>("KEY") { Description = "a container id, id prefix or name; default: every container", Arity = ArgumentArity.ZeroOrOne };
        var life = new Option<bool>("--life") { Description = "the life of container KEY from the history (gone ones too): created, started, stopped, destroyed" };
        var cmd = new Command("containers", "List the containers of the fleet (or of one host): host, id, name, image, processes, init pid; with KEY --life, a container's life.") { key, host, life };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var h = parse.GetValue(host);
            var k = parse.GetValue(key);
            var onHost = h is null ? "" : $"?host={Uri.EscapeDataString(h)}";
            if (parse.GetValue(life))
            {
                if (string.IsNullOrEmpty(k)) throw new UsageException("--life needs a container: godo containers KEY --life");
                var lives = await api.GetStringAsync($"/api/containers/{Uri.EscapeDataString(k)}/life{onHost}", ct);
                if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(lives)); return CommandLine.Ok; }
                Console.Out.Write(HistoryText.ContainerLives(System.Text.Json.JsonSerializer.Deserialize<List<ContainerLife>>(lives, ApiClient.Options)!));
                return CommandLine.Ok;
            }
            List<ContainerView> list;
            if (string.IsNullOrEmpty(k))
            {
                var json = await api.GetStringAsync("/api/containers" + onHost, ct);
                if (parse.GetValue(client.Json)) { Console.Out.WriteLine(ApiClient.Pretty(json)); return CommandLine.Ok; }
                list = System.Text.Json.JsonSerializer.Deserialize<List<ContainerView>>(json, ApiClient.Options)!;
            }
            else
            {
                var detail = await api.GetAsync<ContainerDetail>($"/api/containers/{Uri.EscapeDataString(k)}{onHost}", ct);
                list = [ContainerView.From(detail.Host, detail.Container)];
                if (parse.GetValue(client.Json)) { Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(list, new System.Text.Json.JsonSerializerOptions(ApiClient.Options) { WriteIndented = true })); return CommandLine.Ok; }
            }
            var table = new Table("HOST", "CONTAINER ID", "NAME", "IMAGE", "STATE", "PROCESSES", "INIT PID", "STARTED");
            foreach (var c in list)
                table.Add(c.Host, TreeRenderer.Short(c.Id), c.Name?.TrimStart('/'), c.Image, c.State, c.ProcessCount, c.InitPid, c.StartedAt);
            Console.Out.Write(list.Count == 0 ? "no containers\n" : table.ToString());
            return CommandLine.Ok;
        }));
        return cmd;
    }
}
