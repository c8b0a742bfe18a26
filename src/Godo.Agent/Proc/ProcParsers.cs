using System.Buffers.Text;
using System.Collections.Immutable;
using System.Text;

namespace Godo.Agent.Proc;

/// <summary>Parsers for the procfs files the snapshot reader uses. Pure functions over bytes, unit-tested.</summary>
internal static class ProcParsers
{
    /// <summary>The fields of <c>/proc/PID/stat</c> godo uses.</summary>
    internal readonly record struct Stat(int Pid, string Comm, char State, int Ppid, uint Flags, ulong StartTicks);

    /// <summary>PF_KTHREAD from include/linux/sched.h.</summary>
    internal const uint PfKthread = 0x00200000;

    /// <summary>
    /// Parses <c>pid (comm) state ppid pgrp session tty_nr tpgid flags … starttime(22) …</c>.
    /// comm may hold spaces and parentheses, so it runs from the first '(' to the LAST ')'.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<byte> stat, out Stat result)
    {
        result = default;
        int open = stat.IndexOf((byte)'(');
        int close = stat.LastIndexOf((byte)')');
        if (open <= 0 || close < open) return false;
        if (!Utf8Parser.TryParse(stat[..open].TrimEnd((byte)' '), out int pid, out _)) return false;
        var comm = Encoding.UTF8.GetString(stat[(open + 1)..close]);

        // Fields after ") ": index 0 is field 3 (state), so field k is index k-3.
        var rest = stat[(close + 1)..].TrimStart((byte)' ');
        char state = '?';
        int ppid = -1;
        uint flags = 0;
        ulong startTicks = 0;
        int index = 0;
        bool gotStart = false;
        foreach (var range in rest.Split((byte)' '))
        {
            var field = rest[range];
            switch (index)
            {
                case 0: if (field.Length > 0) state = (char)field[0]; break;
                case 1: if (!Utf8Parser.TryParse(field, out ppid, out _)) return false; break;
                case 6: Utf8Parser.TryParse(field, out flags, out _); break;
                case 19: gotStart = Utf8Parser.TryParse(field, out startTicks, out _); break;
            }
            if (++index > 19) break;
        }
        if (!gotStart) return false;
        result = new Stat(pid, comm, state, ppid, flags, startTicks);
        return true;
    }

    /// <summary>From <c>status</c>: the real uid (first value of <c>Uid:</c>) and the last value of <c>NSpid:</c>.</summary>
    public static void ParseStatus(ReadOnlySpan<byte> status, out int? uid, out int? nsPid)
    {
        uid = null;
        nsPid = null;
        while (!status.IsEmpty)
        {
            int nl = status.IndexOf((byte)'\n');
            var line = nl < 0 ? status : status[..nl];
            status = nl < 0 ? default : status[(nl + 1)..];
            if (line.StartsWith("Uid:"u8))
            {
                var values = line[4..].TrimStart("\t "u8);
                int end = values.IndexOfAny("\t "u8);
                if (Utf8Parser.TryParse(end < 0 ? values : values[..end], out int u, out _)) uid = u;
            }
            else if (line.StartsWith("NSpid:"u8))
            {
                var values = line[6..].TrimEnd("\t \r"u8);
                int start = values.LastIndexOfAny("\t "u8);
                if (Utf8Parser.TryParse(values[(start + 1)..], out int p, out _)) nsPid = p;
            }
            if (uid is not null && nsPid is not null) return;
        }
    }

    /// <summary><c>cmdline</c>: NUL-separated arguments, usually NUL-terminated. Empty for kernel threads and zombies.</summary>
    public static ImmutableArray<string> SplitCmdline(ReadOnlySpan<byte> cmdline)
    {
        if (cmdline.IsEmpty) return ImmutableArray<string>.Empty;
        if (cmdline[^1] == 0) cmdline = cmdline[..^1];
        var builder = ImmutableArray.CreateBuilder<string>(cmdline.Count((byte)0) + 1);
        foreach (var range in cmdline.Split((byte)0))
            builder.Add(Encoding.UTF8.GetString(cmdline[range]));
        return builder.MoveToImmutable();
    }

    /// <summary>The <c>btime</c> line of <c>/proc/stat</c>: boot time in seconds since the Unix epoch.</summary>
    public static bool TryParseBootTime(ReadOnlySpan<byte> procStat, out long btime)
    {
        btime = 0;
        int at = procStat.IndexOf("\nbtime "u8);
        if (at < 0)
        {
            if (!procStat.StartsWith("btime "u8)) return false;
            at = -1;
        }
        var value = procStat[(at + 1 + "btime ".Length)..];
        return Utf8Parser.TryParse(value, out btime, out _);
    }
}
