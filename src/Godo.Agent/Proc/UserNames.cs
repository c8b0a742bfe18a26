using System.Collections.Immutable;
using Godo.Messages.Model;

namespace Godo.Agent.Proc;

/// <summary>
/// Names of the host's uids, from its passwd file: read once, and again only when the file changes (checked at
/// most once a second). Only a live agent has them: a log replayed elsewhere would be named by the wrong machine.
/// A uid a container defines in its own /etc/passwd is not the host's and stays a number.
/// </summary>
public sealed class UserNames(string path = "/etc/passwd", TimeProvider? clock = null)
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private Dictionary<int, string> _names = new();
    private DateTime _readStamp = DateTime.MinValue;
    private long _readLength = -1;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    public string? Of(int? uid)
    {
        if (uid is not { } u) return null;
        Refresh();
        return _names.GetValueOrDefault(u);
    }

    public ProcessInfo Name(ProcessInfo p) => Of(p.Uid) is { } user && user != p.User ? p with { User = user } : p;

    public ImmutableArray<ProcessInfo> Name(ImmutableArray<ProcessInfo> processes) => processes.Select(Name).ToImmutableArray();

    private void Refresh()
    {
        var now = _clock.GetUtcNow();
        if (now - _checkedAt < CheckEvery) return;
        _checkedAt = now;
        var info = new FileInfo(path);
        if (!info.Exists) { _names = new(); _readLength = -1; return; }
        if (info.LastWriteTimeUtc == _readStamp && info.Length == _readLength) return;
        try
        {
            _names = Parse(File.ReadLines(path));
            (_readStamp, _readLength) = (info.LastWriteTimeUtc, info.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // kept as it was; tried again next time
    }

    /// <summary>passwd lines: <c>name:password:uid:gid:gecos:home:shell</c>; the first name of a uid wins, as for getpwuid.</summary>
    public static Dictionary<int, string> Parse(IEnumerable<string> lines)
    {
        var names = new Dictionary<int, string>();
        foreach (var line in lines)
        {
            var f = line.Split(':');
            if (f.Length >= 3 && f[0].Length > 0 && !f[0].StartsWith('#') && int.TryParse(f[2], out var uid)) names.TryAdd(uid, f[0]);
        }
        return names;
    }
}
