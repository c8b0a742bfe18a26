using Microsoft.Data.Sqlite;
using Npgsql;

namespace Godo.Aggregator.Storage;

/// <summary>
/// The whole store's size on disk (journal, snapshots, history: everything in the database), the figure the byte
/// budget is about. PostgreSQL: pg_database_size. SQLite: page_count × page_size, the database as its pages stand
/// (those still in the WAL included; the WAL file itself is bounded by checkpoints and not counted again).
/// </summary>
public static class StoreSize
{
    public static async Task<long> MeasureAsync(StorageTarget target, CancellationToken ct = default)
    {
        if (target.Provider == StorageProvider.Postgres)
        {
            await using var connection = new NpgsqlConnection(target.ConnectionString);
            await connection.OpenAsync(ct);
            await using var size = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
            return (long)(await size.ExecuteScalarAsync(ct))!;
        }
        await using (var connection = new SqliteConnection(target.ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var size = connection.CreateCommand();
            size.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
            return (long)(await size.ExecuteScalarAsync(ct))!;
        }
    }
}
