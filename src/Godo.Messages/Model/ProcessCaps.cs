using System.Collections.Immutable;
using System.Text;

namespace Godo.Messages.Model;

/// <summary>
/// How much of a process godo keeps and sends: argv up to <see cref="ArgvBytes"/> (any user controls argv, and Linux
/// allows about 2 MB of it per exec), exe and cwd up to PATH_MAX, comm up to <see cref="CommBytes"/>. Replay, agent and
/// aggregator apply the same caps, so their trees compare equal, and the aggregator applies its own on what it
/// receives, so an old or hostile agent cannot bypass them. A cut argv says so (<see cref="ProcessInfo.ArgvTruncated"/>,
/// with the original size and count). Sizes are UTF-8 bytes, each argument counting one more for its NUL, as the
/// kernel counts them; a cut is made between characters, never inside one.
/// </summary>
public sealed record ProcessCaps
{
    public const int DefaultArgvBytes = 32 * 1024;
    /// <summary>Below this a container's shim or runc could lose the arguments godo recognises them by.</summary>
    public const int MinArgvBytes = 4096;
    public const int PathBytes = 4096;
    /// <summary>The kernel's comm is 15 bytes; this leaves room for the escapes of an undecodable one.</summary>
    public const int CommBytes = 64;

    public static readonly ProcessCaps Default = new();
    /// <summary>argv kept whole (exe, cwd and comm are still capped).</summary>
    public static readonly ProcessCaps ArgvOff = new() { ArgvBytes = 0 };

    /// <summary>Total argv bytes kept per process; 0: no cap.</summary>
    public int ArgvBytes { get; init; } = DefaultArgvBytes;

    public bool CapsArgv => ArgvBytes > 0;

    /// <summary>argv as kept: unchanged when within the cap (the same array), else cut, with the original size and count.</summary>
    public CappedArgv Argv(ImmutableArray<string> argv)
    {
        if (argv.IsDefaultOrEmpty || !CapsArgv) return new CappedArgv(argv.IsDefault ? [] : argv, false, 0, 0);
        long total = 0;
        foreach (var a in argv) total += Encoding.UTF8.GetByteCount(a) + 1;
        if (total <= ArgvBytes) return new CappedArgv(argv, false, 0, 0);
        var kept = ImmutableArray.CreateBuilder<string>();
        var budget = ArgvBytes;
        foreach (var a in argv)
        {
            var size = Encoding.UTF8.GetByteCount(a) + 1;
            if (size <= budget) { kept.Add(a); budget -= size; continue; }
            if (budget > 1) kept.Add(Cut(a, budget - 1));
            break;
        }
        return new CappedArgv(kept.ToImmutable(), true, (int)Math.Min(total, int.MaxValue), argv.Length);
    }

    /// <summary>
    /// The process as kept. Idempotent: a process already cut keeps its original size and count, and is cut again
    /// only when this cap is smaller than the one that cut it.
    /// </summary>
    public ProcessInfo Apply(ProcessInfo p)
    {
        var capped = Argv(p.Argv);
        var comm = Text(p.Comm, CommBytes);
        var exe = Text(p.Exe, PathBytes);
        var cwd = Text(p.Cwd, PathBytes);
        if (!capped.Truncated && ReferenceEquals(comm, p.Comm) && ReferenceEquals(exe, p.Exe) && ReferenceEquals(cwd, p.Cwd)) return p;
        var q = p with { Comm = comm, Exe = exe, Cwd = cwd };
        if (!capped.Truncated) return q;
        return q with
        {
            Argv = capped.Argv, ArgvTruncated = true,
            ArgvBytes = p.ArgvTruncated ? p.ArgvBytes : capped.OriginalBytes,
            ArgvCount = p.ArgvTruncated ? p.ArgvCount : capped.OriginalCount,
        };
    }

    /// <summary><paramref name="s"/> cut to at most <paramref name="maxBytes"/> UTF-8 bytes (the same string when it fits).</summary>
    public static string? Text(string? s, int maxBytes) =>
        s is null || s.Length * 3 <= maxBytes || Encoding.UTF8.GetByteCount(s) <= maxBytes ? s : Cut(s, maxBytes);

    /// <summary>The longest prefix of whole characters (a surrogate pair is one) that fits in <paramref name="maxBytes"/>.</summary>
    private static string Cut(string s, int maxBytes)
    {
        var bytes = 0;
        var i = 0;
        while (i < s.Length)
        {
            if (Rune.DecodeFromUtf16(s.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done) rune = Rune.ReplacementChar;
            if (bytes + rune.Utf8SequenceLength > maxBytes) break;
            bytes += rune.Utf8SequenceLength;
            i += used;
        }
        return s[..i];
    }
}

/// <param name="OriginalBytes">When <paramref name="Truncated"/>: the whole argv's size (UTF-8, one NUL per argument).</param>
/// <param name="OriginalCount">When <paramref name="Truncated"/>: how many arguments there were.</param>
public readonly record struct CappedArgv(ImmutableArray<string> Argv, bool Truncated, int OriginalBytes, int OriginalCount);
