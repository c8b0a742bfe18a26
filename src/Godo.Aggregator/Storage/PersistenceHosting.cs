using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;

namespace Godo.Aggregator.Storage;

public static class PersistenceHosting
{
    /// <summary>The plugin id of the journal and the snapshot store (akka.persistence.journal.sql, ...snapshot-store.sql).</summary>
    public const string PluginId = "sql";

    /// <summary>
    /// Akka.Persistence's default journal and snapshot store on <paramref name="settings"/>' target through
    /// Akka.Persistence.Sql (Linq2Db): the SQLite file under DataDir, or the shared PostgreSQL of a cluster. Tables are
    /// created on first use; what entities persist goes through <see cref="JournalSerializer"/> (wire messages keep
    /// the wire serializer). Run <see cref="StorageCheck.Verify"/> first: it creates the directory, turns on WAL and
    /// refuses a store it cannot open, which the plugins would only report on the first write.
    /// </summary>
    public static AkkaConfigurationBuilder WithGodoPersistence(this AkkaConfigurationBuilder builder, StorageSettings settings)
    {
        var target = settings.Target;
        var provider = ProviderNameOf(target.Provider);
        return builder
            .WithCustomSerializer(JournalSerializer.ConfigName, [typeof(IPersistedRecord)], system => new JournalSerializer(system))
            .WithSqlPersistence(
                new SqlJournalOptions(isDefaultPlugin: true, PluginId)
                {
                    ConnectionString = target.ConnectionString,
                    ProviderName = provider,
                    AutoInitialize = true,
                },
                new SqlSnapshotOptions(isDefaultPlugin: true, PluginId)
                {
                    ConnectionString = target.ConnectionString,
                    ProviderName = provider,
                    AutoInitialize = true,
                });
    }

    /// <summary>The Linq2Db provider of a target (Microsoft.Data.Sqlite for SQLite; Npgsql, version detected, for PostgreSQL).</summary>
    public static string ProviderNameOf(StorageProvider provider) => provider switch
    {
        StorageProvider.Sqlite => ProviderName.SQLiteMS,
        StorageProvider.Postgres => ProviderName.PostgreSQL,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };
}
