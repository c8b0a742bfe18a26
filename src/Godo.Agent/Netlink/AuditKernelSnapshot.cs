using System.Text.Json;

namespace Godo.Agent.Netlink;

/// <summary>The kernel audit settings a session changes and must put back.</summary>
public sealed record AuditKernelSnapshot(uint Enabled, uint Pid, uint BacklogLimit, uint BacklogWaitTime, bool HasBacklogWaitTime)
{
    public static AuditKernelSnapshot From(AuditStatus s) =>
        new(s.Enabled, s.Pid, s.BacklogLimit, s.BacklogWaitTime, s.HasBacklogWaitTime);
}

/// <summary>
/// Persists the found state next to the owning agent's pid, so a successor can restore it after a crash.
/// Plain JSON; written before the kernel is changed, deleted after a clean restore.
/// </summary>
internal static class AuditStateFile
{
    internal sealed record Content(int OwnerPid, AuditKernelSnapshot Original);

    public static Content? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Content>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null; // a torn or foreign file is worse than none: ignore it
        }
    }

    public static void Write(string path, Content content)
    {
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(content));
        File.Move(tmp, path, overwrite: true); // atomic replace
    }

    public static void Delete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
