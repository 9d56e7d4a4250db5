using System.Globalization;
using Meshwork.Store.Schema;
using Microsoft.Data.Sqlite;

namespace Meshwork.Store.Sqlite;

/// <summary>
/// Applies the embedded scripts Migrations/NNNN_name.sql in number order, each in its own
/// transaction, recording them in schema_migrations. A database from a newer Meshwork is refused.
/// </summary>
public static class SqliteMigrations
{
    public static IReadOnlyList<Migration> All { get; } = EmbeddedMigrations.Load(typeof(SqliteMigrations).Assembly);

    public static async Task ApplyAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await SqliteResourceStore.Execute(connection, null, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            );
            """, cancellationToken).ConfigureAwait(false);
        foreach (var migration in All)
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            await using (var check = connection.CreateCommand())
            {
                check.Transaction = transaction;
                check.CommandText = "SELECT MAX(version) FROM schema_migrations";
                var current = await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long v ? v : 0;
                if (current > All[^1].Version)
                {
                    throw EmbeddedMigrations.NewerSchema(current, All[^1].Version);
                }
                if (current >= migration.Version) continue;
            }
            await SqliteResourceStore.Execute(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)";
                record.Parameters.AddWithValue("@version", migration.Version);
                record.Parameters.AddWithValue("@name", migration.Name);
                record.Parameters.AddWithValue("@at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
