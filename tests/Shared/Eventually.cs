namespace Godo.Tests.Shared;

/// <summary>Polls a condition until it holds, or fails with what was awaited and the last error seen.</summary>
public static class Eventually
{
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try { if (await condition()) return; }
            catch (Exception e) { last = e; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"not within {timeout.TotalSeconds:0.#}s: {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }
}
