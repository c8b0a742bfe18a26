using System.Globalization;
using System.Runtime.InteropServices;

namespace Godo.Cli;

/// <summary>
/// The file mappings start-up faulted in and a process at rest no longer reads: the runtime's flat view of every
/// assembly (read once for metadata), start-up code of CoreLib, Akka, ASP.NET and the native libraries. Unmapping
/// their pages (MADV_DONTNEED) is what the kernel does to them anyway under memory pressure: they stay in the page
/// cache and come back with a minor fault when touched again. Only mappings that cannot hold data of this process are
/// touched: a file on disk, not writable, no anonymous (copy-on-write) or dirty page. Memfd and shared anonymous
/// memory are never touched: there the pages are the data, and unmapping them would only hide them.
/// </summary>
public static class MappedFiles
{
    private const int MADV_DONTNEED = 4;

    /// <summary>Set to 0 (or off) to keep every page mapped, e.g. to measure what the trim saves.</summary>
    public const string SwitchVariable = "GODO_TRIM_MAPPED_FILES";

    public static bool Enabled =>
        Environment.GetEnvironmentVariable(SwitchVariable) is not { } v || !(v == "0" || v.Equals("off", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Unmaps the clean, read-only file mappings' pages; returns how many bytes were resident in them. Only mappings
    /// seen the same (range, file, offset) in two readings <paramref name="confirm"/> apart are touched: a mapping the
    /// runtime makes for a moment (while it loads an assembly) could be gone, and its range reused, by the time of the
    /// call. Those that last (assemblies, native libraries) are never unmapped: godo unloads neither.
    /// </summary>
    /// <remarks>
    /// The first reading is /proc/self/maps (its lines are smaps' headers, without the walk of every page table that
    /// makes smaps cost milliseconds); the second, just before the calls, is smaps, which says which are clean. Plain
    /// loops over a class, not LINQ over tuples, and no async: ReadyToRun precompiles this, so a trim does not wake the
    /// JIT (which would fault libclrjit back in, and make the trim run again). Blocks for <paramref name="confirm"/>.
    /// </remarks>
    public static long Trim(TimeSpan confirm)
    {
        var first = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/self/maps")) first.Add(line);
        Thread.Sleep(confirm);
        // Read to the end before the first call: unmapping while smaps is being read would change what it lists.
        var chosen = new List<Mapping>();
        foreach (var m in Clean(File.ReadLines("/proc/self/smaps")))
            if (first.Contains(m.Header)) chosen.Add(m);
        long released = 0;
        foreach (var m in chosen)
            if (MAdvise((nint)m.Start, (nuint)(m.End - m.Start), MADV_DONTNEED) == 0) released += m.ResidentKiB * 1024;
        return released;
    }

    /// <summary>Makes the madvise call's marshalling stub (the one piece of the trim the JIT makes) before the first trim.</summary>
    public static void Prepare() => MAdvise(0, 0, MADV_DONTNEED);

    /// <summary>One mapping of an smaps listing: its range, its resident KiB and its header line (as /proc/self/maps shows it).</summary>
    public sealed record Mapping(ulong Start, ulong End, long ResidentKiB, string Header);

    /// <summary>The mappings of an smaps listing that are safe to unmap (see the class), with resident pages.</summary>
    public static IEnumerable<Mapping> Clean(IEnumerable<string> smaps)
    {
        ulong start = 0, end = 0;
        bool eligible = false, header = false;
        var text = "";
        long rss = 0;
        foreach (var line in smaps)
        {
            if (IsHeader(line, out var s, out var e, out var ok))
            {
                if (header && eligible && rss > 0) yield return new Mapping(start, end, rss, text);
                (start, end, eligible, header, rss, text) = (s, e, ok, true, 0, line);
                continue;
            }
            if (!eligible) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var key = line.AsSpan(0, colon);
            var value = line.AsSpan(colon + 1).Trim();
            if (key is "VmFlags")
            {
                // Locked pages stay; so does anything the kernel marks special (I/O, pfn-mapped).
                foreach (var flag in value.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (flag is "lo" or "io" or "pf" or "dd") eligible = false;
                continue;
            }
            if (key is not ("Rss" or "Anonymous" or "Private_Dirty" or "Shared_Dirty" or "Swap")) continue;
            var kib = long.Parse(value.TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            if (key is "Rss") rss = kib;
            else if (kib != 0) eligible = false; // a copy-on-write page, a write not yet on disk: this process's data
        }
        if (header && eligible && rss > 0) yield return new Mapping(start, end, rss, text);
    }

    // "7f3c2a000000-7f3c2a200000 r--s 00000000 08:01 1234   /usr/share/dotnet/.../System.Private.CoreLib.dll"
    private static bool IsHeader(string line, out ulong start, out ulong end, out bool eligible)
    {
        start = end = 0;
        eligible = false;
        var dash = line.IndexOf('-');
        var space = line.IndexOf(' ');
        if (dash <= 0 || space <= dash) return false;
        if (!ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out end))
            return false;
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5) return false;
        var perms = fields[1];
        var path = fields.Length == 6 ? fields[5].Trim() : "";
        // A file on disk, never writable: the loader and the runtime write a mapping (relocations) before they make it
        // read-only, and what they wrote shows as anonymous pages, which rule the mapping out below.
        eligible = perms.Length == 4 && perms[0] == 'r' && perms[1] != 'w'
            && path.StartsWith('/') && !path.StartsWith("/memfd:", StringComparison.Ordinal)
            && !path.StartsWith("/dev/", StringComparison.Ordinal) && !path.StartsWith("/SYSV", StringComparison.Ordinal)
            && !path.EndsWith(" (deleted)", StringComparison.Ordinal);
        return true;
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int MAdvise(nint addr, nuint length, int advice);
}
