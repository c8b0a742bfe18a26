namespace Godo.Agent.Sources;

/// <summary>
/// A read-only stream over a growing file, like `tail -F`: at the end it waits for more, reopens the file when
/// it is rotated (a new inode at the path) and starts over when it is truncated. Ends only when cancelled.
/// </summary>
public sealed class FollowingFileStream(string path, TimeSpan? poll = null) : Stream
{
    private readonly TimeSpan _poll = poll ?? TimeSpan.FromMilliseconds(200);
    private FileStream _file = Open(path);

    private static FileStream Open(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (true)
        {
            var n = await _file.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n > 0) return n;
            await Task.Delay(_poll, ct).ConfigureAwait(false);
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists) continue;                          // rotated away, the new one not yet created
                if (info.Length < _file.Position) _file.Position = 0; // truncated in place
                else if (Rotated())
                {
                    // Rotated: finish the old file (already at its end), then go on with the new one from its start.
                    var old = _file;
                    _file = Open(path);
                    await old.DisposeAsync();
                }
            }
            catch (IOException) { }
        }
    }

    /// <summary>Rotated when the path no longer names the file we hold open (renamed or deleted: /proc shows where it went).</summary>
    private bool Rotated()
    {
        var held = new FileInfo("/proc/self/fd/" + _file.SafeFileHandle.DangerousGetHandle()).LinkTarget;
        return held is not null && held != Path.GetFullPath(path);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _file.Length;
    public override long Position { get => _file.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}
