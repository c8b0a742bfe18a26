namespace Godo.Agent.Netlink;

/// <summary>
/// Owns godo's use of the (global) kernel audit state: checks privileges, snapshots what it finds, picks unicast or
/// multicast, removes stale godo rules, installs ours, tunes the backlog, enables auditing if it was off, and on
/// Dispose puts back everything it changed. Records arrive on <see cref="EventSocket"/>; read them with
/// <see cref="CreateReceiver"/>. Stop the receiver before disposing the session.
/// </summary>
public sealed class AuditKernelSession : IDisposable
{
    private readonly AuditSessionOptions _options;
    private readonly uint _self = (uint)Environment.ProcessId;
    private readonly object _controlLock = new();
    private readonly List<Exception> _disposeErrors = new();
    private AuditNetlinkSocket? _control;
    private AuditNetlinkSocket? _events;
    private GodoAuditRules? _rules;
    private bool _tookPid;
    private bool _touchedRules;
    private bool _manageEnabled;
    private bool _manageBacklog;
    private bool _manageWaitTime;
    private bool _ownsStateFile;
    private uint _deadPredecessor;
    private int _disposed;

    private AuditKernelSession(AuditSessionOptions options) => _options = options;

    /// <summary>The mode in use: <see cref="AuditMode.Unicast"/> or <see cref="AuditMode.Multicast"/>, never Auto.</summary>
    public AuditMode Mode { get; private set; }

    /// <summary>Kernel status read before anything was changed.</summary>
    public AuditStatus Found { get; private set; }

    /// <summary>Values Dispose restores: <see cref="Found"/>, or the original state a crashed predecessor recorded in the state file.</summary>
    public AuditKernelSnapshot RestoreTo { get; private set; } = null!;

    /// <summary>Pid of another live audit daemon found at start (auditd), 0 if none.</summary>
    public uint OtherDaemonPid { get; private set; }

    /// <summary>godo rules left by an earlier agent (e.g. one killed with SIGKILL) and removed at start.</summary>
    public int StaleRulesRemoved { get; private set; }

    /// <summary>Rules this session loaded.</summary>
    public IReadOnlyList<AuditRule> Rules => _rules?.Installed ?? [];

    /// <summary>Socket the records arrive on (registered as audit daemon, or joined to the multicast group).</summary>
    public AuditNetlinkSocket EventSocket => _events ?? throw new ObjectDisposedException(nameof(AuditKernelSession));

    /// <summary>Failures during Dispose (it never throws); empty after a clean restore.</summary>
    public IReadOnlyList<Exception> DisposeErrors => _disposeErrors;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Sets everything up; on failure rolls back what it had changed and throws.</summary>
    /// <exception cref="AuditPermissionException">Missing root/capabilities, or the kernel refused (user/pid namespace).</exception>
    /// <exception cref="AuditModeUnavailableException">Unicast demanded but the config is locked or another daemon is registered.</exception>
    public static AuditKernelSession Start(AuditSessionOptions? options = null)
    {
        options ??= new AuditSessionOptions();
        // GET itself needs CAP_AUDIT_CONTROL; CAP_AUDIT_READ is checked once we know multicast is used.
        AuditPrivileges.Demand(needControl: true, needRead: options.Mode == AuditMode.Multicast);
        var session = new AuditKernelSession(options);
        try
        {
            session.Open();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The mode decision, pure so it can be tested: a locked config or a live foreign daemon forces multicast
    /// (an error if unicast was demanded). A registered pid that no longer exists is a dead daemon: the kernel
    /// drops it as soon as it fails to reach it, so it does not block unicast.
    /// </summary>
    public static AuditMode ChooseMode(AuditMode requested, AuditStatus found, uint self, Func<uint, bool> isAlive, out uint otherDaemonPid)
    {
        otherDaemonPid = found.Pid != 0 && found.Pid != self && isAlive(found.Pid) ? found.Pid : 0;
        switch (requested)
        {
            case AuditMode.Multicast:
                return AuditMode.Multicast;
            case AuditMode.Unicast when found.IsLocked:
                throw new AuditModeUnavailableException(
                    "unicast audit mode unavailable: the audit configuration is locked (enabled=2), so godo cannot load its rules; use mode auto or multicast");
            case AuditMode.Unicast when otherDaemonPid != 0:
                throw new AuditModeUnavailableException(
                    $"unicast audit mode unavailable: pid {otherDaemonPid} ({ProcessName(otherDaemonPid)}) is registered as the audit daemon; stop it or use mode auto or multicast");
            case AuditMode.Unicast:
                return AuditMode.Unicast;
            default:
                return found.IsLocked || otherDaemonPid != 0 ? AuditMode.Multicast : AuditMode.Unicast;
        }
    }

    /// <summary>A process with this pid exists and has not exited (a zombie has: it is only waiting to be reaped).</summary>
    public static bool IsRunning(uint pid) => pid != 0 && OwnerProcess.Read((int)pid) is { State: not ('Z' or 'X') };

    private static string ProcessName(uint pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return "?"; }
    }

    private void Log(string message) => _options.Log?.Invoke(message);

    private void Open()
    {
        _control = AuditNetlinkSocket.Open();
        Found = KernelCall("read audit status (AUDIT_GET)", () => _control.GetStatus());
        RestoreTo = AuditKernelSnapshot.From(Found);
        Log($"audit state found: {Found}");

        if (_options.StateFilePath is { } path) TakeStateFile(path);
        // Settings a crashed predecessor left changed are restored even if this Start fails below: Dispose deletes
        // the state file after a clean restore, so it must not forget them.
        _manageBacklog = RestoreTo.BacklogLimit != Found.BacklogLimit;
        _manageWaitTime = RestoreTo.HasBacklogWaitTime && RestoreTo.BacklogWaitTime != Found.BacklogWaitTime;
        _manageEnabled = RestoreTo.Enabled != Found.Enabled;

        // A registered pid that is our dead predecessor's (a zombie, or reused since) is no other daemon: the kernel tests
        // the old connection when we register and drops it.
        Mode = ChooseMode(_options.Mode, Found, _self, pid => pid != _deadPredecessor && IsRunning(pid), out uint other);
        OtherDaemonPid = other;
        if (Mode == AuditMode.Multicast) AuditPrivileges.Demand(needControl: false, needRead: true);

        if (Mode == AuditMode.Unicast && !TryBecomeDaemon())
        {
            if (_options.Mode == AuditMode.Unicast)
                throw new AuditModeUnavailableException("unicast audit mode unavailable: another process registered as the audit daemon while godo started");
            Log("another audit daemon registered concurrently; falling back to multicast");
            Mode = AuditMode.Multicast;
            AuditPrivileges.Demand(needControl: false, needRead: true);
        }
        if (Mode == AuditMode.Multicast)
            _events = KernelCall("join the audit multicast group", () => AuditNetlinkSocket.Open(joinReadLog: true, _options.ReceiveBufferBytes));
        Log($"audit mode {Mode}{(OtherDaemonPid != 0 ? $" beside audit daemon pid {OtherDaemonPid}" : "")}, event socket port {_events!.PortId}, SO_RCVBUF {_events.ReceiveBufferBytes}");

        if (Found.IsLocked)
        {
            Log("audit configuration is locked (enabled=2): not changing rules or settings; reading what is configured");
            return;
        }

        if (_options.InstallRules)
        {
            _touchedRules = true;
            _rules = new GodoAuditRules(_control, _self, _options.Log);
            StaleRulesRemoved = KernelCall("remove stale godo rules", () => _rules.RemoveAll());
            if (StaleRulesRemoved > 0) Log($"removed {StaleRulesRemoved} stale godo audit rules");
            KernelCall("load godo audit rules", () => _rules.Install());
        }

        // Backlog settings belong to whoever drains the kernel queue. Beside a live auditd that is auditd, so leave them.
        if (OtherDaemonPid == 0)
        {
            var current = _control.GetStatus();
            if (current.BacklogLimit != _options.BacklogLimit)
            {
                _manageBacklog = true;
                KernelCall("set backlog_limit", () => _control.SetBacklogLimit(_options.BacklogLimit));
            }
            if (current.HasBacklogWaitTime && current.BacklogWaitTime != _options.BacklogWaitTime)
            {
                if (current.Failure == 2)
                {
                    Log($"failure=2 (panic on lost records): keeping backlog_wait_time={current.BacklogWaitTime}");
                }
                else
                {
                    _manageWaitTime = true;
                    KernelCall("set backlog_wait_time", () => _control.SetBacklogWaitTime(_options.BacklogWaitTime));
                }
            }
        }

        if (Found.Enabled == AuditStatus.EnabledOff)
        {
            _manageEnabled = true;
            KernelCall("enable auditing", () => _control.SetEnabled(AuditStatus.EnabledOn));
        }
    }

    /// <summary>
    /// Reads what a predecessor recorded and writes this session's record. A predecessor that is gone, a zombie (killed
    /// but not yet reaped) or whose pid now names another process died without restoring: what it recorded is the true
    /// original state, so this session restores that. Only a predecessor still running refuses the start.
    /// </summary>
    private void TakeStateFile(string path)
    {
        var previous = AuditStateFile.TryRead(path);
        if (previous is not null && previous.OwnerPid != Environment.ProcessId)
        {
            var fate = OwnerProcess.Judge(previous.OwnerPid, previous.OwnerStartTicks, previous.OwnerExe, OwnerProcess.Read(previous.OwnerPid));
            if (fate == OwnerFate.Alive)
                throw new AuditSessionTakenException(
                    $"another godo agent (pid {previous.OwnerPid}, {previous.OwnerExe ?? ProcessName((uint)previous.OwnerPid)}) holds the kernel audit state recorded in {path}; stop it first");
            RestoreTo = previous.Original;
            _deadPredecessor = (uint)previous.OwnerPid;
            Log($"state file {path}: its agent pid {previous.OwnerPid} died without restoring ({Describe(fate)}); will restore {RestoreTo}");
        }
        else if (previous is not null)
        {
            RestoreTo = previous.Original;
        }
        try
        {
            AuditStateFile.Write(path, AuditStateFile.Content.ForThisProcess(RestoreTo));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AuditSessionTakenException($"godo cannot write its audit state file {path}: {e.Message}", e);
        }
        _ownsStateFile = true;
    }

    private static string Describe(OwnerFate fate) => fate switch
    {
        OwnerFate.Zombie => "a zombie",
        OwnerFate.PidReused => "its pid now belongs to another process",
        _ => "gone",
    };

    /// <summary>Registers this process as the audit daemon on the event socket; false if another daemon won a race.</summary>
    private bool TryBecomeDaemon()
    {
        _events = AuditNetlinkSocket.Open(joinReadLog: false, _options.ReceiveBufferBytes);
        if (Found.Pid == _self)
        {
            // An earlier session in this process did not release it (and its socket may still be open):
            // the kernel refuses to replace a live registration, so release first.
            KernelCall("release stale audit pid", () => _control!.SetPid(0));
        }
        try
        {
            // Must be sent on the socket that will read: the kernel unicasts to the sender's port id.
            KernelCall("register as audit daemon (AUDIT_SET pid)", () => _events.SetPid(_self));
            _tookPid = true;
            return true;
        }
        catch (AuditNetlinkException e) when (e.Errno == LibC.EEXIST)
        {
            _events.Dispose();
            _events = null;
            return false;
        }
    }

    /// <summary>Current kernel status (e.g. for `lost`); thread-safe.</summary>
    public AuditStatus GetStatus()
    {
        lock (_controlLock)
        {
            if (_control is null || IsDisposed) throw new ObjectDisposedException(nameof(AuditKernelSession));
            return _control.GetStatus();
        }
    }

    /// <summary>A receiver on <see cref="EventSocket"/> whose loss detection starts from the `lost` value found at start.</summary>
    public NetlinkAuditReceiver CreateReceiver(Action<int, ReadOnlySpan<byte>> sink, NetlinkAuditReceiverOptions? options = null)
    {
        options ??= new NetlinkAuditReceiverOptions();
        options = options.LostBaseline is null ? options with { LostBaseline = Found.Lost } : options;
        return new NetlinkAuditReceiver(EventSocket, sink, options);
    }

    /// <summary>Runs a kernel call; maps EPERM/EACCES/ECONNREFUSED to <see cref="AuditPermissionException"/>.</summary>
    private static T KernelCall<T>(string what, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (AuditNetlinkException e) when (e.Errno is LibC.EPERM or LibC.EACCES or LibC.ECONNREFUSED)
        {
            // Capabilities were checked already, so this is the namespace rule (audit control only from the initial
            // user and pid namespace) or a locked config.
            throw new AuditPermissionException(
                $"godo cannot {what}: the kernel refused ({AuditNetlinkException.Describe(e.Errno)}); audit control needs root in the initial user and pid namespace (not a container) and an unlocked config",
                ["initial user/pid namespace"], e);
        }
    }

    private static void KernelCall(string what, Action call) => KernelCall<int>(what, () => { call(); return 0; });

    /// <summary>Test hook simulating a crash: closes the sockets and restores nothing.</summary>
    internal void AbandonWithoutRestore()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _control?.Dispose();
        _events?.Dispose();
    }

    /// <summary>Restores what Start changed. Idempotent, never throws; failures land in <see cref="DisposeErrors"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_controlLock)
        {
            AuditNetlinkSocket? control = _control;
            try
            {
                if (control is null || control.IsClosed)
                {
                    if (_touchedRules || _tookPid || _manageEnabled || _manageBacklog || _manageWaitTime)
                        control = AuditNetlinkSocket.Open();
                }
                if (control is not null) Restore(control);
            }
            catch (Exception e)
            {
                _disposeErrors.Add(e);
            }
            finally
            {
                control?.Dispose();
                _control?.Dispose();
                _events?.Dispose();
            }

            // Kept after a failed restore so the next agent can still put the original values back.
            if (_ownsStateFile && _disposeErrors.Count == 0) AuditStateFile.Delete(_options.StateFilePath!);
            foreach (var e in _disposeErrors) Log($"audit restore failed: {e.Message}");
        }
    }

    private void Restore(AuditNetlinkSocket control)
    {
        void Step(string what, Action action)
        {
            try { action(); }
            catch (Exception e) { _disposeErrors.Add(new InvalidOperationException($"restore: {what}: {e.Message}", e)); }
        }

        // Rules first so no new records are generated while the rest is put back.
        if (_touchedRules) Step("remove godo rules", () => GodoAuditRules.RemoveAll(control, _options.Log));

        AuditStatus? read = null;
        Step("read audit status", () => read = control.GetStatus());
        if (read is not { } now)
        {
            // Cannot compare: still give the pid back, the one thing that blocks the next daemon.
            if (_tookPid) Step("release audit pid", () => control.SetPid(0));
            return;
        }
        // Locked meanwhile (auditctl -e 2): settings can no longer change, but the pid can still be released.
        bool canConfigure = !now.IsLocked;
        if (canConfigure && _manageEnabled && now.Enabled != RestoreTo.Enabled)
            Step($"enabled={RestoreTo.Enabled}", () => control.SetEnabled(RestoreTo.Enabled));
        if (canConfigure && _manageBacklog && now.BacklogLimit != RestoreTo.BacklogLimit)
            Step($"backlog_limit={RestoreTo.BacklogLimit}", () => control.SetBacklogLimit(RestoreTo.BacklogLimit));
        if (canConfigure && _manageWaitTime && RestoreTo.HasBacklogWaitTime && now.BacklogWaitTime != RestoreTo.BacklogWaitTime)
            Step($"backlog_wait_time={RestoreTo.BacklogWaitTime}", () => control.SetBacklogWaitTime(RestoreTo.BacklogWaitTime));
        // Only the current daemon may unregister, and only if it is still us (the kernel may have dropped us).
        if (_tookPid && now.Pid == _self)
            Step("release audit pid", () => control.SetPid(0));
    }
}
