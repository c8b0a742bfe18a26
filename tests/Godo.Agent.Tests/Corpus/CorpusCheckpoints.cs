using System.Text;
using System.Text.Json;
using Godo.Agent.Audit;
using Godo.Agent.Replay;
using Godo.Agent.Tree;

namespace Godo.Agent.Tests.Corpus;

/// <summary>
/// The comparison the corpus README defines: at each checkpoint marker's event time, the live container
/// processes of the replayed tree equal the /proc snapshot's (non-zombie, non-null container), field by field
/// on pid, ppid, container and argv.
/// </summary>
public static class CorpusCheckpoints
{
    public sealed record Expected(int Pid, int Ppid, string Container, string Argv);

    public sealed record Result(string Checkpoint, long TimeMs, IReadOnlyList<string> Missing, IReadOnlyList<string> Extra, int ExpectedCount,
        IReadOnlyList<string> Unobservable)
    {
        public bool Ok => Missing.Count == 0 && Extra.Count == 0;
        public override string ToString() =>
            $"{Checkpoint}: expected {ExpectedCount}, missing [{string.Join("; ", Missing)}], extra [{string.Join("; ", Extra)}]";
    }

    /// <summary>
    /// Every host pid the log mentions (pid=, ppid=, opid=). A snapshot process whose pid is not among them left
    /// no trace a replay could see (e.g. a fork-only child made inside a container, whose fork returned only its
    /// namespace pid): it is reported as unobservable rather than silently compared or silently dropped.
    /// </summary>
    public static HashSet<int> PidsInLog(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"\b(?:pid|ppid|opid)=(\d+)")
            .Select(m => int.Parse(m.Groups[1].Value)).ToHashSet();

    public static string DataDir(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "corpus", name);

    public static Dictionary<string, HashSet<Expected>> LoadSnapshots(string dir)
    {
        var result = new Dictionary<string, HashSet<Expected>>();
        foreach (var line in File.ReadLines(Path.Combine(dir, "snapshots.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var set = new HashSet<Expected>();
            foreach (var p in doc.RootElement.GetProperty("processes").EnumerateArray())
            {
                if (p.GetProperty("container").ValueKind != JsonValueKind.String) continue;
                if (p.TryGetProperty("state", out var st) && st.GetString() == "Z") continue;
                set.Add(new Expected(p.GetProperty("pid").GetInt32(), p.GetProperty("ppid").GetInt32(),
                    p.GetProperty("container").GetString()!, Join(p.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!))));
            }
            result[doc.RootElement.GetProperty("checkpoint").GetString()!] = set;
        }
        return result;
    }

    private static string Join(IEnumerable<string> argv) => JsonSerializer.Serialize(argv.ToArray());

    public static HashSet<Expected> Actual(ProcessTree tree) =>
        tree.AliveNodes.Where(n => n.Container is not null)
            .Select(n => new Expected(n.Pid, n.Ppid, n.Container!, Join(n.Argv))).ToHashSet();

    /// <summary>Replays <paramref name="input"/> and compares at every checkpoint marker found in it.</summary>
    public static async Task<(List<Result> Results, SyncReplay Replay)> RunAsync(Stream input, Dictionary<string, HashSet<Expected>> expected,
        HashSet<int>? observable = null)
    {
        var replay = new SyncReplay();
        var results = new List<Result>();
        (string Name, long Time)? pending = null;

        void Check(ProcessTree tree)
        {
            var (name, time) = pending!.Value;
            pending = null;
            tree.Advance(time);
            var actual = Actual(tree);
            if (!expected.TryGetValue(name, out var all)) return;
            var want = all.Where(x => observable is null || observable.Contains(x.Pid)).ToHashSet();
            results.Add(new Result(name, time,
                want.Except(actual).Select(x => x.ToString()).ToList(),
                actual.Except(want).Select(x => x.ToString()).ToList(), want.Count,
                all.Except(want).Select(x => x.ToString()).ToList()));
        }

        replay.BeforeApply = (e, tree) => { if (pending is { } p && e.TimeMs > p.Time) Check(tree); };
        replay.AfterApply = (e, tree) =>
        {
            if (SyscallTable.IsExec(e.Kind) && !e.Argv.IsDefault && e.Argv.Length >= 2 && e.Argv[1].StartsWith("godo-checkpoint-", StringComparison.Ordinal))
            {
                if (pending is not null) Check(tree);
                pending = (e.Argv[1]["godo-checkpoint-".Length..], e.TimeMs);
            }
        };
        await replay.RunAsync(input);
        if (pending is not null) Check(replay.Tree);
        return (results, replay);
    }

    public static string Describe(IEnumerable<Result> results)
    {
        var sb = new StringBuilder();
        foreach (var r in results) sb.AppendLine(r.ToString());
        return sb.ToString();
    }
}
