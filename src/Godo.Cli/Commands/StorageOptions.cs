using System.CommandLine;
using Godo.Cli.Settings;

namespace Godo.Cli.Commands;

/// <summary>The flags of the aggregator's durable store, which `godo aggregator` and `godo standalone` both keep.</summary>
public sealed record StorageOptions(Option<string?> Data, Option<string?> Journal, Option<string?> HistoryRetention, Option<string?> HistoryBytes)
{
    public static StorageOptions Create() => new(
        new Option<string?>("--data") { Description = "directory of the embedded SQLite store: journal, snapshots and history (default /var/lib/godo; GODO_DATA)" },
        new Option<string?>("--journal") { Description = "a shared store for a cluster: postgres://USER:PASSWORD@HOST:PORT/DATABASE (default: SQLite under --data; GODO_JOURNAL)" },
        new Option<string?>("--history-retention") { Description = "how long history is kept (e.g. 7d, 12h, seconds; default 7d; GODO_HISTORY_RETENTION)" },
        new Option<string?>("--history-bytes") { Description = "bytes history may take, the oldest going first (e.g. 10GiB, the default; GODO_HISTORY_BYTES)" });

    public IEnumerable<Option> All => [Data, Journal, HistoryRetention, HistoryBytes];

    /// <summary>These flags as given, added to <paramref name="layer"/>.</summary>
    public SettingsLayer Flags(ParseResult parse, SettingsLayer layer) => layer
        .Set("Aggregator:Data", parse.GetValue(Data))
        .Set("Aggregator:Journal", parse.GetValue(Journal))
        .Set("Aggregator:HistoryRetention", parse.GetValue(HistoryRetention))
        .Set("Aggregator:HistoryBytes", parse.GetValue(HistoryBytes));
}
