using System.CommandLine;
using System.Net;
using System.Text.Json;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;
using Godo.Messages.Model;

namespace Godo.Cli.Commands;

/// <summary>`godo tree [HOST|CONTAINER] [--at T]`: the process tree of a host, or of one container, pstree-like: live, or as it stood at T.</summary>
public static class TreeCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var target = new Argument<string?>("HOST|CONTAINER") { Description = "a host name, or a container id, id prefix or name; default: every host", Arity = ArgumentArity.ZeroOrOne };
        var host = new Option<string?>("--host") { Description = "the container's host, when its name or prefix is not unique in the fleet" };
        var wide = new Option<bool>("--wide", "-w") { Description = "show whole command lines (default: cut to the terminal's width, 200 columns when not a terminal)" };
        var at = new Option<string?>("--at") { Description = "the tree as it stood at T, from the history: " + EventTime.Forms.Replace("give ", "") };
        var cmd = new Command("tree", "Show the process tree of a host or of a container (pstree-like): live, or as it stood at --at T.") { target, host, wide, at };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var json = parse.GetValue(client.Json);
            var what = parse.GetValue(target);
            var onHost = parse.GetValue(host);
            var width = parse.GetValue(wide) ? (int?)null : TerminalText.OutputWidth();
            if (parse.GetValue(at) is { } atText)
                return await PrintAt(api, what, onHost, EventTime.Parse(atText, DateTimeOffset.Now, "--at"), json, width, ct);
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

    /// <summary>
    /// The tree at <paramref name="at"/>: of a host, of a container (resolved through its lives, since it may be gone
    /// now), or of every host the history has then.
    /// </summary>
    private static async Task<int> PrintAt(ApiClient api, string? what, string? onHost, DateTimeOffset at, bool json, int? width, CancellationToken ct)
    {
        if (what is null)
        {
            var hosts = (await api.GetAsync<List<HostSummary>>("/api/hosts", ct)).Where(h => onHost is null || h.Host == onHost).ToList();
            var printed = 0;
            foreach (var h in hosts)
            {
                // A host with no history then (it came later, or it is past retention) is said, and the others shown.
                try { await PrintTreeAt(api, h.Host, null, at, json, width, ct); printed++; }
                catch (UsageException e) { CommandLine.Error(e.Message); }
            }
            if (hosts.Count == 0) Console.Out.WriteLine("no hosts yet: no agent has reported to this aggregator");
            return printed > 0 || hosts.Count == 0 ? CommandLine.Ok : CommandLine.Usage;
        }
        if (onHost is null && await FindHost(api, what, ct) is { } found) { await PrintTreeAt(api, found.Host, null, at, json, width, ct); return CommandLine.Ok; }
        var life = ContainerAt(await api.GetAsync<List<ContainerLife>>(
            $"/api/containers/{Uri.EscapeDataString(what)}/life" + (onHost is null ? "" : $"?host={Uri.EscapeDataString(onHost)}"), ct), what, at);
        await PrintTreeAt(api, life.Host, life.Id, at, json, width, ct);
        return CommandLine.Ok;
    }

    /// <summary>The one life of a container that spans <paramref name="at"/>; several (on several hosts) must be told apart with --host.</summary>
    public static ContainerLife ContainerAt(IReadOnlyList<ContainerLife> lives, string key, DateTimeOffset at)
    {
        var then = lives.Where(l => (l.CreatedAt ?? l.StartedAt ?? DateTimeOffset.MinValue) <= at && (l.DestroyedAt ?? DateTimeOffset.MaxValue) >= at)
            .DistinctBy(l => (l.Host, l.Id)).ToList();
        return then.Count switch
        {
            1 => then[0],
            0 => throw new UsageException($"no container '{key}' at {EventTime.Show(at)} (see godo containers {key} --life)"),
            _ => throw new UsageException($"'{key}' names {then.Count} containers at {EventTime.Show(at)}: give --host or a longer id",
                [.. then.Select(l => $"{l.Host}  {TreeRenderer.Short(l.Id)}  {l.Name?.TrimStart('/') ?? "(unnamed)"}  {l.Image ?? "-"}")]),
        };
    }

    private static async Task PrintTreeAt(ApiClient api, string host, string? container, DateTimeOffset at, bool json, int? width, CancellationToken ct)
    {
        var text = await api.GetStringAsync($"/api/hosts/{Uri.EscapeDataString(host)}/tree?at={Uri.EscapeDataString(EventTime.ToQuery(at))}", ct);
        var tree = Only(JsonSerializer.Deserialize(text, GodoJsonContext.Default.HostTree)!, container);
        if (json) Console.Out.WriteLine(JsonSerializer.Serialize(tree, GodoJsonContext.Indented.HostTree));
        // the header says the moment asked for: the tree is the one that stood then
        else Console.Out.Write(TreeRenderer.Render(tree with { AsOf = at }, container, width));
    }

    private static HostTree Only(HostTree tree, string? container) => container is null ? tree
        : tree with { Processes = [.. tree.Processes.Where(p => p.Container == container)], Containers = [.. tree.Containers.Where(c => c.Id == container)] };

    private static async Task<HostSummary?> FindHost(ApiClient api, string name, CancellationToken ct)
    {
        try { return await api.GetAsync<HostSummary>($"/api/hosts/{Uri.EscapeDataString(name)}", ct); }
        catch (UsageException) { return null; }
    }

    private static async Task Print(ApiClient api, HostSummary host, string? container, bool json, int? width, CancellationToken ct)
    {
        var text = await api.GetStringAsync($"/api/hosts/{Uri.EscapeDataString(host.Host)}/tree", ct);
        var tree = Only(JsonSerializer.Deserialize(text, GodoJsonContext.Default.HostTree)!, container);
        if (json) Console.Out.WriteLine(JsonSerializer.Serialize(tree, GodoJsonContext.Indented.HostTree));
        else Console.Out.Write(TreeRenderer.Render(tree, container, width, HostStatusText.NotUp(host)));
    }
}
