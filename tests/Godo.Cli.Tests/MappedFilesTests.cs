using System.IO.MemoryMappedFiles;

namespace Godo.Cli.Tests;

/// <summary>The start-up trim of file pages: which mappings it may unmap, and that what it unmapped reads the same.</summary>
public sealed class MappedFilesTests
{
    private static string[] Smaps(params (string Header, string Fields)[] mappings) =>
        mappings.SelectMany(m => new[] { m.Header }.Concat(m.Fields.Split('\n'))).ToArray();

    private const string Clean = "Rss:                 64 kB\nAnonymous:            0 kB\nPrivate_Dirty:        0 kB\nShared_Dirty:         0 kB\nSwap:                 0 kB\nVmFlags: rd sh mr me ms";

    [Fact]
    public void Only_clean_read_only_files_are_chosen()
    {
        var smaps = Smaps(
            ("7f0000000000-7f0000010000 r--s 00000000 08:01 11 /usr/share/dotnet/System.Private.CoreLib.dll", Clean),
            ("7f0000010000-7f0000020000 r-xp 00001000 08:01 12 /usr/lib/libcoreclr.so", Clean),
            // copy-on-write pages (relocations): this process's data
            ("7f0000020000-7f0000030000 r--p 00002000 08:01 12 /usr/lib/libcoreclr.so", Clean.Replace("Anonymous:            0", "Anonymous:            8")),
            ("7f0000030000-7f0000040000 rw-p 00003000 08:01 12 /usr/lib/libcoreclr.so", Clean),
            ("7f0000040000-7f0000050000 r-xs 00000000 00:01 13 /memfd:doublemapper (deleted)", Clean),
            ("7f0000050000-7f0000060000 r--s 00000000 00:01 14 /dev/zero (deleted)", Clean),
            ("7f0000060000-7f0000070000 r--p 00000000 08:01 15 /tmp/replaced.dll (deleted)", Clean),
            ("7f0000070000-7f0000080000 r--p 00000000 00:00 0 ", Clean),
            ("7f0000080000-7f0000090000 r--p 00000000 08:01 16 /usr/lib/locked.so", Clean.Replace("ms", "ms lo")),
            ("7f0000090000-7f00000a0000 r--p 00000000 08:01 17 /usr/lib/untouched.so", Clean.Replace("Rss:                 64", "Rss:                  0")),
            ("7f00000a0000-7f00000b0000 r--s 00000000 08:01 18 /usr/lib/with spaces.dll", Clean));

        var chosen = MappedFiles.Clean(smaps).Select(m => m.Start).ToArray();

        Assert.Equal(new ulong[] { 0x7f0000000000, 0x7f0000010000, 0x7f00000a0000 }, chosen);
        Assert.All(MappedFiles.Clean(smaps), m => Assert.Equal(64, m.ResidentKiB));
    }

    [Fact]
    public void A_trimmed_mapping_reads_the_same_afterwards()
    {
        var file = Path.GetTempFileName();
        try
        {
            var content = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 31 + 7)).ToArray();
            File.WriteAllBytes(file, content);
            using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = map.CreateViewAccessor(0, content.Length, MemoryMappedFileAccess.Read);
            var before = new byte[content.Length];
            view.ReadArray(0, before, 0, before.Length);

            Assert.True(MappedFiles.Trim(TimeSpan.FromMilliseconds(100)) > 0);

            var after = new byte[content.Length];
            view.ReadArray(0, after, 0, after.Length);
            Assert.Equal(content, before);
            Assert.Equal(content, after);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
