using System.Runtime.CompilerServices;
namespace Godo.Agent.Audit;

/// <summary>
/// Where one reader thread keeps the bodies of the records it parses: appended into shared chunks instead of one
/// array (or string) per record, because per-record allocations were most of a replay's garbage. A chunk is an
/// ordinary array, freed by the GC once no record points into it; nothing is ever reused, so no record can see
/// another's bytes. Not thread-safe: one arena per reading thread.
/// </summary>
public sealed class BodyArena(int chunkSize = 64 * 1024)
{
    private byte[] _chunk = [];
    private int _used;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: see Godo.Cli.csproj (ReadyToRun)
    public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return ReadOnlyMemory<byte>.Empty;
        if (body.Length > _chunk.Length - _used)
        {
            // Below 85,000 bytes, so chunks stay out of the large object heap; not zeroed, as every byte handed out is
            // copied in first (zeroing fresh chunks was a tenth of a replay's allocation cost).
            _chunk = GC.AllocateUninitializedArray<byte>(Math.Max(chunkSize, body.Length));
            _used = 0;
        }
        body.CopyTo(_chunk.AsSpan(_used));
        var kept = new ReadOnlyMemory<byte>(_chunk, _used, body.Length);
        _used += body.Length;
        return kept;
    }
}
