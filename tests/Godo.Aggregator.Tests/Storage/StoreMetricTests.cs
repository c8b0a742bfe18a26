using System.Globalization;
using Godo.Aggregator.Tests.Infrastructure;

namespace Godo.Aggregator.Tests.Storage;

public sealed class StoreMetricTests
{
    [Fact]
    public async Task An_aggregator_reports_its_store_size_as_godo_store_bytes()
    {
        await using var node = await AggregatorNode.StartAsync();
        double bytes = 0;
        await Eventually.Until(async () =>
        {
            var text = await node.Http.GetStringAsync("/metrics");
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("godo_store_bytes ", StringComparison.Ordinal));
            return line is not null && (bytes = double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture)) > 0;
        }, TimeSpan.FromSeconds(60), "godo_store_bytes on /metrics");
        // The SQLite file the start-up check made, in pages of 4 KiB.
        Assert.Equal(0, bytes % 4096);
    }
}
