using System.Text.Json;
using Godo.Messages.Model;

namespace Godo.Tests.Shared;

/// <summary>The docker-basic corpus (linked into the test project at build time) and the tree fingerprint agents and aggregators must agree on.</summary>
public static class Corpus
{
    public static string DockerBasicPath => Path.Combine(AppContext.BaseDirectory, "Data", "docker-basic", "audit.log");

    /// <summary>The corpus in <paramref name="parts"/> chunks, split at line boundaries.</summary>
    public static IReadOnlyList<string> DockerBasicChunks(int parts)
    {
        var lines = File.ReadAllLines(DockerBasicPath);
        var size = (lines.Length + parts - 1) / parts;
        return lines.Chunk(size).Select(c => string.Join('\n', c) + "\n").ToList();
    }

    /// <summary>What must agree between an agent and an aggregator: the processes and containers, field by field.</summary>
    public static string Fingerprint(HostTree tree) =>
        string.Join('\n', tree.Processes.Select(p => JsonSerializer.Serialize(p, GodoJsonContext.Default.ProcessInfo)))
        + "\n--\n" + string.Join('\n', tree.Containers.Select(c => JsonSerializer.Serialize(c, GodoJsonContext.Default.ContainerInfo)));

    public static string Diff(HostTree expected, HostTree? actual)
    {
        if (actual is null) return "no tree";
        var e = Fingerprint(expected).Split('\n').ToHashSet();
        var a = Fingerprint(actual).Split('\n').ToHashSet();
        return $"expected {expected.Processes.Length} processes/{expected.Containers.Length} containers, got {actual.Processes.Length}/{actual.Containers.Length}; " +
               $"missing: {string.Join(" | ", e.Except(a).Take(3))}; extra: {string.Join(" | ", a.Except(e).Take(3))}";
    }
}
