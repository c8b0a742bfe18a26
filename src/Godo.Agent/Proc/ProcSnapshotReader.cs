using System.Collections.Immutable;
using System.Globalization;
using System.IO.Enumeration;
using System.Text;
using Godo.Agent.Containers;

namespace Godo.Agent.Proc;

/// <summary>
/// Reads every user-space process from procfs: one <see cref="ProcEntry"/> per thread group
/// (the numeric entries of <c>/proc</c>; threads only appear under <c>/proc/PID/task</c>).
/// Kernel threads (pid 2, children of kthreadd, or PF_KTHREAD) are left out; zombies are kept and flagged
/// (<see cref="ProcEntry.IsZombie"/>). A process that exits while it is being read is skipped, or
/// keeps nulls in the fields that could no longer be read; nothing throws.
/// </summary>
/// <remarks>Thread-safe: every call uses its own buffers.</remarks>
public sealed class ProcSnapshotReader
{
    /// <summary>USER_HZ, the unit of the start time in <c>stat</c>: 100 on every Linux architecture godo targets.</summary>
    public const int DefaultClockTicksPerSecond = 100;

    private readonly string _root;
    private readonly long _timeSpanTicksPerClockTick;

    /// <param name="procRoot">procfs mount point, or a directory laid out like it (tests).</param>
    /// <param name="clockTicksPerSecond">USER_HZ (sysconf(_SC_CLK_TCK)).</param>
    public ProcSnapshotReader(string procRoot = "/proc", int clockTicksPerSecond = DefaultClockTicksPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(clockTicksPerSecond, 0);
        _root = procRoot.TrimEnd('/');
        if (_root.Length == 0) _root = "/";
        _timeSpanTicksPerClockTick = TimeSpan.TicksPerSecond / clockTicksPerSecond;
    }

    /// <summary>Boot time from the <c>btime</c> line of <c>/proc/stat</c>.</summary>
    /// <exception cref="IOException">procfs has no readable <c>stat</c> with a btime line.</exception>
    public DateTimeOffset ReadBootTime()
    {
        using var files = new ProcFiles();
        return ReadBootTime(files);
    }

    /// <summary>Every user-space process, sorted by pid.</summary>
    public ProcSnapshot ReadAll()
    {
        var takenAt = DateTimeOffset.UtcNow;
        using var files = new ProcFiles();
        var bootTime = ReadBootTime(files);
        var pids = ListPids();
        pids.Sort();
        var builder = ImmutableArray.CreateBuilder<ProcEntry>(pids.Count);
        var path = new StringBuilder(_root.Length + 24);
        foreach (var pid in pids)
        {
            var entry = Read(pid, bootTime, files, path);
            if (entry is not null) builder.Add(entry);
        }
        return new ProcSnapshot(takenAt, bootTime, builder.DrainToImmutable());
    }

    /// <summary>One process, or null when it does not exist (any more), is a kernel thread, or cannot be read. Test seam.</summary>
    public ProcEntry? ReadOne(int pid)
    {
        using var files = new ProcFiles();
        return Read(pid, ReadBootTime(files), files, new StringBuilder());
    }

    /// <summary>The numeric entries of the proc root: thread-group ids.</summary>
    public List<int> ListPids()
    {
        var enumerable = new FileSystemEnumerable<int>(_root,
            static (ref FileSystemEntry e) => int.Parse(e.FileName, NumberStyles.None, CultureInfo.InvariantCulture),
            new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = static (ref FileSystemEntry e) => IsPidName(e.FileName) && e.IsDirectory,
        };
        return [.. enumerable];
    }

    private static bool IsPidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 10 || name[0] == '0') return false;
        foreach (var c in name)
            if (c is < '0' or > '9') return false;
        return true;
    }

    private DateTimeOffset ReadBootTime(ProcFiles files)
    {
        var path = _root + "/stat";
        if (!files.TryRead(path, out var content) || !ProcParsers.TryParseBootTime(content, out var btime))
            throw new IOException($"no btime line in {path}");
        return DateTimeOffset.FromUnixTimeSeconds(btime);
    }

    private ProcEntry? Read(int pid, DateTimeOffset bootTime, ProcFiles files, StringBuilder path)
    {
        // stat decides whether the process exists and what it is; everything else is best effort.
        if (!files.TryRead(PidFile(path, pid, "stat"), out var statBytes)
            || !ProcParsers.TryParseStat(statBytes, out var stat))
            return null;
        if (pid == 2 || stat.Ppid == 2 || (stat.Flags & ProcParsers.PfKthread) != 0) return null;

        int? uid = null, nsPid = null;
        if (files.TryRead(PidFile(path, pid, "status"), out var status))
            ProcParsers.ParseStatus(status, out uid, out nsPid);

        var argv = files.TryRead(PidFile(path, pid, "cmdline"), out var cmdline)
            ? ProcParsers.SplitCmdline(cmdline)
            : ImmutableArray<string>.Empty;

        string? container = null;
        if (files.TryRead(PidFile(path, pid, "cgroup"), out var cgroup))
            container = CgroupContainerId.FromCgroupFile(Encoding.UTF8.GetString(cgroup));

        return new ProcEntry
        {
            Pid = pid,
            Ppid = stat.Ppid,
            Comm = stat.Comm,
            State = stat.State,
            StartTicks = stat.StartTicks,
            StartedAt = bootTime + TimeSpan.FromTicks((long)stat.StartTicks * _timeSpanTicksPerClockTick),
            Exe = ProcFiles.TryReadLink(PidFile(path, pid, "exe")),
            Cwd = ProcFiles.TryReadLink(PidFile(path, pid, "cwd")),
            Argv = argv,
            Uid = uid,
            NsPid = nsPid,
            ContainerId = container,
        };
    }

    private string PidFile(StringBuilder sb, int pid, string name)
    {
        sb.Clear();
        if (_root != "/") sb.Append(_root);
        return sb.Append('/').Append(pid).Append('/').Append(name).ToString();
    }
}
