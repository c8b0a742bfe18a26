using System.Text;

namespace Godo.EndToEnd.Tests.Ship;

/// <summary>The host's processes as /proc shows them now (kernel threads and zombies left out, as the agent does).</summary>
internal sealed record HostProc(int Pid, int Ppid, ulong StartTicks, string Argv, string? Container)
{
    public static Dictionary<int, HostProc> ReadAll()
    {
        var all = new Dictionary<int, HostProc>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid) && TryRead(pid) is { } p)
                all[pid] = p;
        return all;
    }

    private static HostProc? TryRead(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields[0] is field 3 (state)
            var state = fields[0][0];
            var ppid = int.Parse(fields[1]);
            var flags = uint.Parse(fields[6]);
            if (state is 'Z' or 'X' || pid == 2 || ppid == 2 || (flags & 0x00200000) != 0) return null;
            var cmdline = File.ReadAllBytes($"/proc/{pid}/cmdline");
            var argv = string.Join(' ', Encoding.UTF8.GetString(cmdline).TrimEnd('\0').Split('\0'));
            var cgroup = File.ReadAllText($"/proc/{pid}/cgroup");
            var m = System.Text.RegularExpressions.Regex.Match(cgroup, "[/-]([0-9a-f]{64})(?:\\.scope)?$", System.Text.RegularExpressions.RegexOptions.Multiline);
            return new HostProc(pid, ppid, ulong.Parse(fields[19]), argv, m.Success ? m.Groups[1].Value : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // gone while read
        }
    }
}
