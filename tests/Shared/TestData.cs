namespace Godo.Tests.Shared;

/// <summary>
/// Fresh data directories (--data, GODO_DATA) for the aggregators and standalones the tests start: a test never sees
/// another's journal, nor /var/lib/godo. Under /tmp/godo-test-data, removed at the next run's start when older than a day.
/// </summary>
public static class TestData
{
    public static readonly string Root = Path.Combine(Path.GetTempPath(), "godo-test-data");

    public static string NewDir()
    {
        var dir = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    static TestData()
    {
        try
        {
            if (!Directory.Exists(Root)) return;
            foreach (var d in Directory.GetDirectories(Root))
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(d) > TimeSpan.FromDays(1)) Directory.Delete(d, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
