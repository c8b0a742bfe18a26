namespace Godo.Agent.Netlink;

/// <summary>
/// An eventfd a reader thread polls beside its socket, so that stopping wakes it at once: without it the thread had to
/// come out of poll every 200 ms to look for a stop (5 wake-ups a second for nothing, per socket, at rest).
/// </summary>
internal sealed class WakeFd : IDisposable
{
    private readonly object _gate = new();
    private int _fd;

    public WakeFd()
    {
        _fd = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_fd < 0) throw new AuditNetlinkException("eventfd", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
    }

    /// <summary>The fd to poll for POLLIN; -1 once disposed.</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>Makes the fd readable for good: every poll on it returns at once from now on.</summary>
    public unsafe void Signal()
    {
        lock (_gate)
        {
            if (_fd < 0) return;
            ulong one = 1;
            LibC.Write(_fd, &one, sizeof(ulong));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_fd < 0) return;
            LibC.Close(_fd);
            _fd = -1;
        }
    }
}
