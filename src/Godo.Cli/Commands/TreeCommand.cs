using System.CommandLine;
using System.Net;
using System.Text.Json;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;
using Godo.Messages.Model;

namespace Godo.Cli.Commands;

/// <summary>`godo tree [HOST|CONTAINER]`: the live process tree of a host, or of one container, pstree-like.</summary>
public static class TreeCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var target = new Argument<string?>("HOST|CONTAINER") { Description = "a host name, or a container id, id prefix or name; default: every host", Arity = ArgumentArity.ZeroOrOne };
        var host = new Option<string?>("--host") { Description = "the container's host, when its name or prefix is not unique in the fleet" };
        var wide = new Option<bool>("--wide", "-w") { Description = "show whole command lines (default: cut to the terminal's width, 200 columns when not a terminal)" };
        var cmd = new Command("tree", "Show the live process tree of a host or of a container (pstree-like).") { target, host, wide };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var json = parse.GetValue(client.Json);
            var what = parse.GetValue(target);
            var onHost = parse.GetValue(host);
            var width = parse.GetValue(wide) ? (int?)null : TerminalText.OutputWidth();
            if (what is null)
            {
                var hosts = await api.GetAsync<List<HostSummary>>("/api/hosts", ct);
                if (hosts.Count == 0) { Console.Out.WriteLine("no hosts yet: no agent has reported to this aggregator"); return CommandLine.Ok; }
                foreach (var h in hosts.Where(h => onHost is null || h.Host == onHost))
                    await Print(api, h, null, json, width, ct);
                return CommandLine.Ok;
            }
            // a host name first; then a container
            if (onHost is null && await FindHost(api, what, ct) is { } found) { await Print(api, found, null, json, width, ct); return CommandLine.Ok; }
            var detail = await api.GetAsync<ContainerDetail>($"/api/containers/{Uri.EscapeDataString(what)}" + (onHost is null ? "" : $"?host={Uri.EscapeDataString(onHost)}"), ct);
            var summary = await api.GetAsync<HostSummary>($"/api/hosts/{Uri.EscapeDataString(detail.Host)}", ct);
            await Print(api, summary, detail.Container.Id, json, width, ct);
            return CommandLine.Ok;
        }));
        return cmd;
    }

    private static async Task<HostSummary?> FindHost(ApiClient api, string name, CancellationToken ct)
    {
        try { return await api.GetAsync<HostSummary>($"/api/hosts/{Uri.EscapeDataString(name)}", ct); }
        catch (UsageException) { return null; }
    }

    private static async Task Print(ApiClient api, HostSummary host, string? container, bool json, int? width, CancellationToken ct)
    {
        var text = await api.GetStringAsync($"/api/hosts/{Uri.EscapeDataString(host.Host)}/tree", ct);
        var tree = JsonSerializer.Deserialize(text, GodoJsonContext.Default.HostTree)!;
        if (container is not null)
            tree = tree with { Processes = [.. tree.Processes.Where(p => p.Container == container)], Containers = [.. tree.Containers.Where(c => c.Id == container)] };
        if (json) Console.Out.WriteLine(JsonSerializer.Serialize(tree, GodoJsonContext.Indented.HostTree));
        else Console.Out.Write(TreeRenderer.Render(tree, container, width, HostStatusText.NotUp(host)));
    }
}
