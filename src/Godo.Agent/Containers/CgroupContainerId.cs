namespace Godo.Agent.Containers;

/// <summary>
/// Finds the container a process belongs to from the contents of <c>/proc/PID/cgroup</c>
/// (cgroup v1, v2 and hybrid). Knows the layouts of Docker (cgroupfs and systemd drivers),
/// containerd / Kubernetes (cri-containerd, kubepods with cgroupfs or systemd), cri-o and podman.
/// </summary>
/// <remarks>
/// Every cgroup path is cut into segments; a segment names a container when it is a bare 64-hex id
/// (<c>/docker/&lt;id&gt;</c>, <c>/kubepods/burstable/pod…/&lt;id&gt;</c>, <c>/default/&lt;id&gt;</c>) or a known
/// runtime prefix followed by one (<c>docker-&lt;id&gt;.scope</c>, <c>cri-containerd-&lt;id&gt;.scope</c>,
/// <c>crio-&lt;id&gt;.scope</c>, <c>libpod-&lt;id&gt;.scope</c>). Conmon scopes (<c>crio-conmon-&lt;id&gt;.scope</c>,
/// <c>libpod-conmon-&lt;id&gt;.scope</c>) are the runtime's monitor on the host, not the container, and never match.
/// The OUTERMOST match wins: for <c>/docker/&lt;outer&gt;/docker/&lt;inner&gt;</c> (Docker in Docker, kind) the
/// host's engine only knows the outer container. The unified (<c>0::</c>) line is looked at first, then the
/// v1 lines in file order.
/// </remarks>
public static class CgroupContainerId
{
    public const int IdLength = 64;

    private static readonly string[] ScopePrefixes = ["docker-", "cri-containerd-", "crio-", "libpod-", "cri-dockerd-"];

    /// <summary>Container id (64 lowercase hex) from the whole cgroup file, or null for a host process.</summary>
    public static string? FromCgroupFile(ReadOnlySpan<char> contents)
    {
        // Unified hierarchy first: on v2 it is the only line, on hybrid v1 it mirrors the v1 layout.
        string? fallback = null;
        foreach (var rawLine in contents.EnumerateLines())
        {
            var line = rawLine.Trim();
            if (line.IsEmpty) continue;
            // hierarchy-ID:controller-list:cgroup-path ; the path may itself contain ':'.
            int first = line.IndexOf(':');
            if (first < 0) continue;
            int second = line[(first + 1)..].IndexOf(':');
            if (second < 0) continue;
            var hierarchy = line[..first];
            var path = line[(first + 1 + second + 1)..];
            bool unified = hierarchy is "0" && second == 0;
            if (unified)
            {
                var id = FromCgroupPath(path);
                if (id is not null) return id;
            }
            else if (fallback is null)
            {
                fallback = FromCgroupPath(path);
            }
        }
        return fallback;
    }

    /// <summary>Container id from one cgroup path (e.g. <c>/docker/&lt;id&gt;</c>), or null.</summary>
    public static string? FromCgroupPath(ReadOnlySpan<char> path)
    {
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (segment.IsEmpty) continue;
            var id = FromSegment(segment);
            if (!id.IsEmpty) return id.ToString();
        }
        return null;
    }

    private static ReadOnlySpan<char> FromSegment(ReadOnlySpan<char> segment)
    {
        if (segment.Length == IdLength && IsHexId(segment)) return segment;
        if (segment.EndsWith(".scope", StringComparison.Ordinal)) segment = segment[..^".scope".Length];
        if (segment.Length <= IdLength) return default;
        var tail = segment[^IdLength..];
        if (!IsHexId(tail)) return default;
        var prefix = segment[..^IdLength];
        foreach (var known in ScopePrefixes)
            if (prefix.SequenceEqual(known)) return tail;
        return default;
    }

    /// <summary>True when <paramref name="s"/> is exactly 64 lowercase hex digits.</summary>
    public static bool IsHexId(ReadOnlySpan<char> s)
    {
        if (s.Length != IdLength) return false;
        foreach (var c in s)
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }
}
