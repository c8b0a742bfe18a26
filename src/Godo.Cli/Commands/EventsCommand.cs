using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using Godo.Cli.Client;
using Godo.Cli.Output;
using Godo.Messages.Api;

namespace Godo.Cli.Commands;

/// <summary>`godo events`: follows exec, exit, container start/stop and host status events across the fleet.</summary>
public static class EventsCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var host = new Option<string?>("--host") { Description = "only this host's events" };
        var container = new Option<string?>("--container", "-c") { Description = "only this container's events (id prefix or name)" };
        var kind = new Option<string?>("--kind") { Description = "only these kinds, comma-separated: exec, exit, container-start, container-stop, host-up, host-stale, host-down" };
        var cmd = new Command("events", "Follow the fleet's events as they happen (exec, exit, container start/stop, host status); Ctrl+C to stop.") { host, container, kind };
        client.AddTo(cmd);
        cmd.SetAction((parse, ct) => ApiClient.RunAsync(async () =>
        {
            using var api = client.Connect(parse);
            var query = new List<string>();
            if (parse.GetValue(host) is { } h) query.Add($"host={Uri.EscapeDataString(h)}");
            if (parse.GetValue(container) is { } c) query.Add($"container={Uri.EscapeDataString(c)}");
            if (parse.GetValue(kind) is { } k) query.Add($"kind={Uri.EscapeDataString(Kinds(k))}");
            var json = parse.GetValue(client.Json);
            try
            {
                await api.FollowAsync("/api/events" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), async (_, data) =>
                {
                    if (json) { Console.Out.WriteLine(data); return; }
                    var e = JsonSerializer.Deserialize<FleetEvent>(data, ApiClient.Options)!;
                    await Console.Out.WriteLineAsync(Format(e));
                }, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                throw new ServerException($"the aggregator at {api.Server} closed the event stream");
            }
            return CommandLine.Ok;
        }));
        return cmd;
    }

    /// <summary>Every kind the feed knows (the constants of <see cref="FleetEventKinds"/>, so a new kind needs no change here).</summary>
    private static readonly string[] KnownKinds = typeof(FleetEventKinds).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();

    /// <summary>The --kind list checked: a misspelt kind would otherwise follow nothing, silently, forever.</summary>
    private static string Kinds(string list)
    {
        var kinds = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (kinds.Length == 0) throw new UsageException($"--kind needs a kind: one or more of {string.Join(", ", KnownKinds)}");
        foreach (var k in kinds)
            if (!KnownKinds.Contains(k)) throw new UsageException($"unknown event kind '{k}': give one or more of {string.Join(", ", KnownKinds)}, comma-separated");
        return string.Join(',', kinds);
    }

    /// <summary>One line per event, whatever its argv holds: every field from the fleet is escaped.</summary>
    public static string Format(FleetEvent e)
    {
        var where = e.ContainerName?.TrimStart('/') ?? (e.Container is { } c ? TreeRenderer.Short(c) : null);
        var what = e.Kind switch
        {
            FleetEventKinds.Exec or FleetEventKinds.Exit => $"{e.Pid} " + (e.Argv.IsDefaultOrEmpty ? TerminalText.Escape(e.Exe) : TerminalText.Command(e.Argv)),
            FleetEventKinds.ContainerStart or FleetEventKinds.ContainerStop => $"{TreeRenderer.Short(TerminalText.Escape(e.Container))} {TerminalText.Escape(e.Image)}",
            _ => TerminalText.Escape(e.Reason),
        };
        return $"{e.At.UtcDateTime:HH:mm:ss.fff}  {TerminalText.Escape(e.Host),-16} {TerminalText.Escape(e.Kind),-15} {(where is null ? "" : TerminalText.Escape(where) + "  ")}{what}";
    }
}
