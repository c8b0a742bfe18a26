using System.Collections.Immutable;

namespace Godo.Agent.Audit;

/// <summary>Turns the records of one serial into an <see cref="AuditEvent"/>. Pure, so it is tested directly.</summary>
public static class AuditEventBuilder
{
    private static readonly ImmutableArray<string> GodoKey = ["godo"];

    /// <summary>Almost every event carries key="godo": share one array instead of splitting each time.</summary>
    private static ImmutableArray<string> KeysOf(ReadOnlySpan<char> raw) =>
        raw.SequenceEqual("\"godo\"") ? GodoKey : [.. AuditValue.DecodeKeys(raw)];

    /// <param name="malformed">set when a record's fields could not be decoded; the event is still built from the rest.</param>
    public static AuditEvent Build(long serial, ReadOnlySpan<AuditRecord> records, bool endedByEoe, out bool malformed, long sequence = 0)
    {
        malformed = false;
        long time = records.Length > 0 ? records[0].TimeMs : 0;
        var hasSyscall = false;
        uint arch = 0; int nr = -1; bool? success = null; long? exit = null;
        ulong a0 = 0, a1 = 0, a2 = 0, a3 = 0; int pid = 0, ppid = 0; int? uid = null;
        string? comm = null, exe = null, cwd = null;
        ImmutableArray<string> keys = ImmutableArray<string>.Empty;
        ExecveArguments? execve = null;
        string? proctitleRaw = null;
        ImmutableArray<int>.Builder? targets = null;
        var count = 0;

        foreach (var r in records)
        {
            count++;
            if (r.Type == AuditRecordType.Eoe) { endedByEoe = true; continue; }
            if (r.Body is null) continue;
            switch (r.Type)
            {
                case AuditRecordType.Syscall:
                {
                    // The kernel ends every SYSCALL record with key= (audit_log_key). A line cut before it may end
                    // in a cut value (pid=245 for pid=24555, syscall=23 for 231): never let such a record decide.
                    if (!r.Body.Contains(" key=", StringComparison.Ordinal)) { malformed = true; break; }
                    hasSyscall = true;
                    time = r.TimeMs;
                    var f = new AuditFieldReader(r.Body);
                    var ok = true;
                    while (f.MoveNext())
                    {
                        var k = f.Key; var v = f.RawValue;
                        switch (k)
                        {
                            case "arch": ok &= AuditValue.TryParseHex(v, out var ar); arch = (uint)ar; break;
                            case "syscall": ok &= int.TryParse(v, out nr); break;
                            case "success": success = v.SequenceEqual("yes"); break;
                            case "exit": ok &= long.TryParse(v, out var ex); exit = ex; break;
                            case "a0": ok &= AuditValue.TryParseHex(v, out a0); break;
                            case "a1": ok &= AuditValue.TryParseHex(v, out a1); break;
                            case "a2": ok &= AuditValue.TryParseHex(v, out a2); break;
                            case "a3": ok &= AuditValue.TryParseHex(v, out a3); break;
                            case "pid": ok &= int.TryParse(v, out pid); break;
                            case "ppid": ok &= int.TryParse(v, out ppid); break;
                            case "uid": if (int.TryParse(v, out var u)) uid = u; else if (uint.TryParse(v, out var uu)) uid = unchecked((int)uu); break;
                            case "comm": comm = AuditValue.DecodeString(v); break;
                            case "exe": exe = AuditValue.DecodeString(v); break;
                            case "key": keys = KeysOf(v); break;
                        }
                    }
                    if (!ok || nr < 0 || pid <= 0) malformed = true;
                    break;
                }
                case AuditRecordType.Execve:
                    (execve ??= new ExecveArguments()).Add(r.Body);
                    break;
                case AuditRecordType.Cwd:
                {
                    var f = new AuditFieldReader(r.Body);
                    while (f.MoveNext()) if (f.Key.SequenceEqual("cwd")) cwd = AuditValue.DecodeString(f.RawValue);
                    break;
                }
                case AuditRecordType.Proctitle:
                {
                    var f = new AuditFieldReader(r.Body);
                    while (f.MoveNext())
                        if (f.Key.SequenceEqual("proctitle")) proctitleRaw = f.RawValue.ToString();
                    break;
                }
                case AuditRecordType.ObjPid:
                {
                    var f = new AuditFieldReader(r.Body);
                    while (f.MoveNext())
                        if (f.Key.SequenceEqual("opid") && int.TryParse(f.RawValue, out var op) && op > 0)
                            (targets ??= ImmutableArray.CreateBuilder<int>()).Add(op);
                    break;
                }
            }
        }

        var argv = default(ImmutableArray<string>);
        if (execve is not null)
        {
            argv = execve.Build();
            if (execve.Malformed) malformed = true;
        }
        return new AuditEvent
        {
            Sequence = sequence, Serial = serial, TimeMs = time, RecordCount = count, EndedByEoe = endedByEoe,
            HasSyscall = hasSyscall && pid > 0 && nr >= 0, Arch = arch, SyscallNr = nr,
            Kind = hasSyscall ? SyscallTable.Classify(arch, nr) : SyscallKind.Other,
            Success = success, Exit = exit, A0 = a0, A1 = a1, A2 = a2, A3 = a3,
            Pid = pid, Ppid = ppid, Uid = uid, Comm = comm, Exe = exe, Keys = keys,
            Argv = argv, ProctitleRaw = proctitleRaw, Cwd = cwd,
            TargetPids = targets?.ToImmutable() ?? ImmutableArray<int>.Empty,
        };
    }
}
