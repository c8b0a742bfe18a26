using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Godo.Agent.Proc;

/// <summary>
/// Small, allocation-light reads of procfs files. procfs reports a size of 0, so files are read
/// into a growable buffer until EOF. Not thread-safe: one instance per reading thread.
/// </summary>
internal sealed class ProcFiles : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

    /// <summary>Whole file content, or false when the file is gone or unreadable. The span is valid until the next read.</summary>
    public bool TryRead(string path, out ReadOnlySpan<byte> content)
    {
        content = default;
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int total = 0;
            while (true)
            {
                if (total == _buffer.Length) Grow();
                int n = RandomAccess.Read(handle, _buffer.AsSpan(total), total);
                if (n <= 0) break;
                total += n;
            }
            content = _buffer.AsSpan(0, total);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // ENOENT / ESRCH: the process went away; EACCES: not ours to read. Both mean "unknown".
            return false;
        }
    }

    /// <summary>Target of a symlink such as <c>/proc/PID/exe</c>, or null when it cannot be read.</summary>
    public static string? TryReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Grow()
    {
        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan().CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
