namespace Godo.Agent.Containers;

/// <summary>
/// Recognises a containerd shim from its argv and tells which container it serves.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>containerd-shim-runc-v2 -namespace moby -id &lt;64-hex&gt; -address /run/containerd/containerd.sock</c>
/// (Docker 20.10+; also the short-lived <c>… -id &lt;id&gt; start</c> launcher, the <c>… delete</c> clean-up, and <c>-id=&lt;id&gt;</c> / <c>--id</c> spellings).</item>
/// <item><c>containerd-shim -namespace moby -workdir /var/lib/containerd/io.containerd.runtime.v1.linux/moby/&lt;id&gt; …</c>
/// (the v1 shim): the last segment of the work dir.</item>
/// </list>
/// Under Kubernetes one runc-v2 shim serves a whole pod and its <c>-id</c> is the pod sandbox's container id.
/// </remarks>
public static class ShimCommandLine
{
    /// <summary>True when argv[0]'s file name starts with <c>containerd-shim</c>.</summary>
    public static bool IsShim(IReadOnlyList<string> argv) => argv.Count > 0 && IsShimPath(argv[0]);

    /// <summary>
    /// The 64-hex container id a shim serves, or null when argv is not a shim's or names no id. <paramref name="exe"/>
    /// (audit's <c>exe=</c>, /proc's exe link) also tells a shim, for an argv[0] that does not name it.
    /// </summary>
    public static string? TryGetContainerId(IReadOnlyList<string> argv, string? exe = null)
    {
        if (!IsShim(argv) && !(exe is not null && IsShimPath(exe))) return null;
        string? workdirId = null;
        for (int i = 1; i < argv.Count; i++)
        {
            var arg = argv[i].AsSpan();
            if (!TryOption(argv, ref i, arg, out var name, out var value)) continue;
            if (name.SequenceEqual("id"))
            {
                if (CgroupContainerId.IsHexId(value)) return value.ToString();
            }
            else if (name.SequenceEqual("workdir") && workdirId is null)
            {
                var last = Path.GetFileName(value.TrimEnd('/'));
                if (CgroupContainerId.IsHexId(last)) workdirId = last.ToString();
            }
        }
        return workdirId;
    }

    /// <summary>
    /// The shim binary run as one of its commands (<c>start</c>: launch the shim; <c>delete</c>: clean up after it), not
    /// as the shim itself, which takes no command.
    /// </summary>
    public static bool IsCommand(IReadOnlyList<string> argv) => argv.Contains("start") || argv.Contains("delete");

    private static bool IsShimPath(string path) =>
        Path.GetFileName(path.AsSpan()).StartsWith("containerd-shim", StringComparison.Ordinal);

    // Go's flag package: -name value, --name value, -name=value, --name=value.
    private static bool TryOption(IReadOnlyList<string> argv, ref int i, ReadOnlySpan<char> arg,
        out ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        name = value = default;
        if (arg.Length < 2 || arg[0] != '-') return false;
        arg = arg[1] == '-' ? arg[2..] : arg[1..];
        int eq = arg.IndexOf('=');
        if (eq >= 0)
        {
            name = arg[..eq];
            value = arg[(eq + 1)..];
            return true;
        }
        name = arg;
        if (!name.SequenceEqual("id") && !name.SequenceEqual("workdir")) return false;
        if (i + 1 >= argv.Count) return false;
        value = argv[++i].AsSpan();
        return true;
    }
}
