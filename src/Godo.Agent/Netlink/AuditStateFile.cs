using System.Text.Json;

namespace Godo.Agent.Netlink;

/// <summary>
/// Persists the found state next to the identity of the owning agent, so a successor can restore it after a crash.
/// Plain JSON; written before the kernel is changed, deleted after a clean restore.
/// </summary>
internal static class AuditStateFile
{
    /// <summary>
    /// <paramref name="OwnerStartTicks"/> and <paramref name="OwnerExe"/> tell the owner from a later process given the
    /// same pid; a file written before they were recorded has neither, and then the pid alone decides.
    /// </summary>
    internal sealed record Content(int OwnerPid, AuditKernelSnapshot Original, ulong? OwnerStartTicks = null, string? OwnerExe = null)
    {
        public static Content ForThisProcess(AuditKernelSnapshot original)
        {
            var self = OwnerProcess.Read(Environment.ProcessId);
            return new Content(Environment.ProcessId, original, self?.StartTicks, self?.Exe);
        }
    }

    public static Content? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Content>(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
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
