using System.Runtime.InteropServices;

namespace Godo.Tests.Shared;

/// <summary>
/// The kernel's audit state is global: every test run that touches it, in any project or process, holds
/// /tmp/godo-audit.lock (the same lock manual runs take with `flock /tmp/godo-audit.lock ...`).
/// flock(LOCK_EX) on a lock file, as flock(1) takes it: waited for in the kernel's queue on a thread of its own (a
/// polling try-lock loses every race to blocked waiters), given up after a timeout; released by closing the fd.
/// </summary>
public sealed class KernelAuditLock : IDisposable
{
    public const string DefaultPath = "/tmp/godo-audit.lock";

    private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000, LOCK_EX = 2, EINTR = 4;
    private int _fd;

    private KernelAuditLock(int fd) => _fd = fd;

    public static async Task<KernelAuditLock> TakeAsync(string path, TimeSpan timeout)
    {
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0) throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
        var gate = new object();
        bool owned = false, abandoned = false;
        var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = new Thread(() =>
        {
            int rc;
            do rc = flock(fd, LOCK_EX); while (rc != 0 && Marshal.GetLastPInvokeError() == EINTR);
            lock (gate)
            {
                if (rc != 0 || abandoned) { close(fd); got.TrySetException(new IOException($"flock {path} failed")); return; }
                owned = true;
            }
            got.TrySetResult();
        }) { IsBackground = true, Name = "godo-audit-lock" };
        waiter.Start();
        await Task.WhenAny(got.Task, Task.Delay(timeout));
        lock (gate)
        {
            if (owned) return new KernelAuditLock(fd);
            abandoned = true; // the waiter closes the fd (releasing the lock) if it ever gets it
        }
        if (got.Task.IsFaulted) await got.Task;
        throw new TimeoutException($"{path} still held by another kernel-audit run after {timeout.TotalMinutes:0} min " +
                                   "(a godo agent or standalone started with flock, a benchmark, or another test run)");
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) close(fd);
    }

    [DllImport("libc", SetLastError = true)] private static extern int open(string path, int flags, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int flock(int fd, int operation);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
}
