using System.Runtime.CompilerServices;
using System.Collections.Immutable;
using System.Text;

namespace Godo.Agent.Audit;

/// <summary>Turns the records of one serial into an <see cref="AuditEvent"/>. Pure, so it is tested directly.</summary>
public static class AuditEventBuilder
{
    private static readonly ImmutableArray<string> GodoKey = ["godo"];

    /// <summary>Almost every event carries key="godo": share one array instead of splitting each time.</summary>
    private static ImmutableArray<string> KeysOf(ReadOnlySpan<byte> raw) =>
        raw.SequenceEqual("\"godo\""u8) ? GodoKey : [.. AuditValue.DecodeKeys(raw)];

    private enum Field { Other, Arch, Syscall, Success, Exit, A0, A1, A2, A3, Pid, Ppid, Uid, Comm, Exe, Key }

    /// <summary>Which SYSCALL field a key names: by length first, so most keys cost one byte compare.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    private static Field SyscallField(ReadOnlySpan<byte> k) => k.Length switch
    {
        2 when k[0] == (byte)'a' => k[1] switch { (byte)'0' => Field.A0, (byte)'1' => Field.A1, (byte)'2' => Field.A2, (byte)'3' => Field.A3, _ => Field.Other },
        3 when k.SequenceEqual("pid"u8) => Field.Pid,
        3 when k.SequenceEqual("uid"u8) => Field.Uid,
        3 when k.SequenceEqual("exe"u8) => Field.Exe,
        3 when k.SequenceEqual("key"u8) => Field.Key,
        4 when k.SequenceEqual("arch"u8) => Field.Arch,
        4 when k.SequenceEqual("ppid"u8) => Field.Ppid,
        4 when k.SequenceEqual("exit"u8) => Field.Exit,
        4 when k.SequenceEqual("comm"u8) => Field.Comm,
        7 when k.SequenceEqual("syscall"u8) => Field.Syscall,
        7 when k.SequenceEqual("success"u8) => Field.Success,
        _ => Field.Other,
    };

    /// <summary>Where <paramref name="part"/>, a slice of <paramref name="whole"/>, starts in it.</summary>
    private static int OffsetIn(ReadOnlySpan<byte> whole, ReadOnlySpan<byte> part) =>
        (int)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(whole),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(part));

    /// <param name="malformed">set when a record's fields could not be decoded; the event is still built from the rest.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
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
        ReadOnlyMemory<byte>? proctitleRaw = null;
        ImmutableArray<int>.Builder? targets = null;
        int crashedPid = 0, crashSignal = 0;
        var count = 0;

        foreach (var r in records)
        {
            count++;
            if (r.Type == AuditRecordType.Eoe) { endedByEoe = true; continue; }
            var body = r.Body.Span;
            switch (r.Type)
            {
                case AuditRecordType.Syscall:
                {
                    // The kernel ends every SYSCALL record with key= (audit_log_key). A line cut before it may end
                    // in a cut value (pid=245 for pid=24555, syscall=23 for 231): never let such a record decide.
                    if (body.IndexOf(" key="u8) < 0) { malformed = true; break; }
                    hasSyscall = true;
                    time = r.TimeMs;
                    var f = new AuditFieldReader(body);
                    var ok = true;
                    while (f.MoveNext())
                    {
                        var k = f.Key; var v = f.RawValue;
                        switch (SyscallField(k))
                        {
                            case Field.Arch: ok &= AuditValue.TryParseHex(v, out var ar); arch = (uint)ar; break;
                            case Field.Syscall: ok &= AuditValue.TryParseInt(v, out nr); break;
                            case Field.Success: success = v.SequenceEqual("yes"u8); break;
                            case Field.Exit: ok &= AuditValue.TryParseLong(v, out var ex); exit = ex; break;
                            case Field.A0: ok &= AuditValue.TryParseHex(v, out a0); break;
                            case Field.A1: ok &= AuditValue.TryParseHex(v, out a1); break;
                            case Field.A2: ok &= AuditValue.TryParseHex(v, out a2); break;
                            case Field.A3: ok &= AuditValue.TryParseHex(v, out a3); break;
                            case Field.Pid: ok &= AuditValue.TryParseInt(v, out pid); break;
                            case Field.Ppid: ok &= AuditValue.TryParseInt(v, out ppid); break;
                            case Field.Uid:
                                if (AuditValue.TryParseInt(v, out var u)) uid = u;
                                else if (AuditValue.TryParseUInt(v, out var uu)) uid = unchecked((int)uu);
                                break;
                            case Field.Comm: comm = DecodedStrings.Decode(v); break;
                            case Field.Exe: exe = DecodedStrings.Decode(v); break;
                            case Field.Key: keys = KeysOf(v); break;
                        }
                    }
                    if (!ok || nr < 0 || pid <= 0) malformed = true;
                    break;
                }
                case AuditRecordType.Execve:
                    (execve ??= new ExecveArguments()).Add(body);
                    break;
                case AuditRecordType.Cwd:
                {
                    var f = new AuditFieldReader(body);
                    while (f.MoveNext()) if (f.Key.SequenceEqual("cwd"u8)) cwd = DecodedStrings.Decode(f.RawValue);
                    break;
                }
                case AuditRecordType.Proctitle:
                {
                    var f = new AuditFieldReader(body);
                    while (f.MoveNext())
                        if (f.Key.SequenceEqual("proctitle"u8)) proctitleRaw = r.Body.Slice(OffsetIn(body, f.RawValue), f.RawValue.Length);
                    break;
                }
                case AuditRecordType.AnomAbend:
                {
                    // A core dump (written from do_coredump, outside any syscall): pid= is the host tgid, and the
                    // process dies of sig= right after. A record without both is no death we could apply.
                    var f = new AuditFieldReader(body);
                    int abPid = 0, abSig = 0;
                    while (f.MoveNext())
                    {
                        if (f.Key.SequenceEqual("pid"u8)) AuditValue.TryParseInt(f.RawValue, out abPid);
                        else if (f.Key.SequenceEqual("sig"u8)) AuditValue.TryParseInt(f.RawValue, out abSig);
                    }
                    if (abPid > 0 && abSig > 0) { crashedPid = abPid; crashSignal = abSig; }
                    else malformed = true;
                    break;
                }
                case AuditRecordType.ObjPid:
                {
                    var f = new AuditFieldReader(body);
                    while (f.MoveNext())
                        if (f.Key.SequenceEqual("opid"u8) && AuditValue.TryParseInt(f.RawValue, out var op) && op > 0)
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
            CrashedPid = crashedPid, CrashSignal = crashSignal,
        };
    }
}
