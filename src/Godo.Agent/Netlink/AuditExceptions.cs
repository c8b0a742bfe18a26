using System.Runtime.InteropServices;

namespace Godo.Agent.Netlink;

/// <summary>A netlink call or a kernel NLMSG_ERROR ack failed; <see cref="Errno"/> is the positive errno.</summary>
public class AuditNetlinkException : IOException
{
    public AuditNetlinkException(string operation, int errno)
        : base($"{operation} failed: {Describe(errno)}")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }
    public int Errno { get; }

    internal static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}

/// <summary>
/// The process lacks what kernel audit requires (root / CAP_AUDIT_CONTROL / CAP_AUDIT_READ, or the initial
/// user and pid namespace). The message is one line and says what is missing, so it can be shown as is.
/// </summary>
public sealed class AuditPermissionException : Exception
{
    public AuditPermissionException(string message, IReadOnlyList<string> missing, Exception? inner = null)
        : base(message, inner)
    {
        Missing = missing;
    }

    /// <summary>Names of what is missing, e.g. "CAP_AUDIT_CONTROL".</summary>
    public IReadOnlyList<string> Missing { get; }
}

/// <summary>The requested <see cref="AuditMode"/> cannot be used with the kernel state found (locked config, another daemon).</summary>
public sealed class AuditModeUnavailableException : InvalidOperationException
{
    public AuditModeUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The kernel's audit state is held by another running godo agent (its state file names a live process with the same
/// start time and executable), or the state file cannot be written. The message is one line.
/// </summary>
public sealed class AuditSessionTakenException : InvalidOperationException
{
    public AuditSessionTakenException(string message, Exception? inner = null) : base(message, inner) { }
}
