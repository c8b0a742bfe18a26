using Godo.Messages.Model;

namespace Godo.Messages.Wire;

/// <summary>
/// A cheap estimate of what a process costs on the wire (its JSON), to cut snapshots into pieces and to bound what an
/// agent holds. Characters count one byte each: JSON escapes can make a hostile argv several times larger, which
/// the remoting frame (32 MiB against 1 MiB pieces) absorbs.
/// </summary>
public static class WireSize
{
    private const int PerProcess = 200, PerString = 4;

    public static long Of(ProcessInfo p)
    {
        long size = PerProcess + Text(p.Comm) + Text(p.Exe) + Text(p.Cwd) + Text(p.Container);
        if (!p.Argv.IsDefault) foreach (var a in p.Argv) size += Text(a);
        return size;
    }

    public static long Of(ContainerInfo c)
    {
        long size = PerProcess + Text(c.Id) + Text(c.Name) + Text(c.Image) + Text(c.State);
        foreach (var (k, v) in c.Labels) size += Text(k) + Text(v);
        return size;
    }

    private static int Text(string? s) => s is null ? 0 : s.Length + PerString;
}
