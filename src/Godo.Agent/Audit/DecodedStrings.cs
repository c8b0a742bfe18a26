using System.Runtime.CompilerServices;
namespace Godo.Agent.Audit;

/// <summary>
/// comm, exe and cwd repeat from event to event (a shell, runc, the same few binaries): decoding each into a new
/// string was a large share of a replay's garbage. A small direct-mapped cache per thread hands back the string
/// decoded last time for the same raw bytes. Per thread, because assemblers build events concurrently; a miss just
/// decodes and replaces the slot.
/// </summary>
public static class DecodedStrings
{
    private const int Slots = 512;
    private const int MaxRawLength = 256;

    [ThreadStatic] private static (byte[] Raw, string? Text)[]? _slots;

    /// <summary>The same as <see cref="AuditValue.DecodeString(ReadOnlySpan{byte})"/>, shared for repeated values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public static string? Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.Length > MaxRawLength) return AuditValue.DecodeString(raw);
        var slots = _slots ??= new (byte[], string?)[Slots];
        var hash = new HashCode();
        hash.AddBytes(raw);
        ref var slot = ref slots[hash.ToHashCode() & (Slots - 1)];
        if (slot.Raw is not null && raw.SequenceEqual(slot.Raw)) return slot.Text;
        var text = AuditValue.DecodeString(raw);
        slot = (raw.ToArray(), text);
        return text;
    }
}
