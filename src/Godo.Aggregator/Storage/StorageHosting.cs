using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;

namespace Godo.Aggregator.Storage;

public static class StorageHosting
{
    /// <summary>
    /// The default journal and snapshot store of the ActorSystem, through Akka.Persistence.Sql: the SQLite file under
    /// <see cref="StorageSettings.DataDir"/> (created if missing), or the shared PostgreSQL of <see cref="StorageSettings.Journal"/>.
    /// Tables are created on first use. (Minimal until the `journal` part's extension replaces it: same name, same call.)
    /// </summary>
    public static AkkaConfigurationBuilder WithGodoPersistence(this AkkaConfigurationBuilder builder, StorageSettings storage)
    {
        var target = storage.Target;
        if (target.Provider == StorageProvider.Sqlite)
        {
            try { Directory.CreateDirectory(storage.DataDir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AggregatorConfigException($"cannot use data directory {storage.DataDir}: {e.Message} (give --data DIR)");
            }
        }
        return target.Provider == StorageProvider.Sqlite
            ? builder.WithSqlPersistence(target.ConnectionString, ProviderName.SQLiteMS, databaseMapping: DatabaseMapping.Sqlite)
            : builder.WithSqlPersistence(target.ConnectionString, ProviderName.PostgreSQL15, databaseMapping: DatabaseMapping.PostgreSql);
    }
}
