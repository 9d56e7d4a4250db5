using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Meshwork.Store.Sqlite;

/// <summary>
/// Applies the embedded scripts Migrations/NNNN_name.sql in number order, each in its own
/// transaction, recording them in schema_migrations. A database from a newer Meshwork is refused.
/// </summary>
public static class SqliteMigrations
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } = Load();

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
                    throw new InvalidDataException(
                        $"the database schema is at version {current}, newer than this Meshwork knows ({All[^1].Version}); use a newer meshwork");
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

    private static List<Migration> Load()
    {
        var assembly = typeof(SqliteMigrations).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var fileName = resource["Migrations/".Length..^".sql".Length];
            var underscore = fileName.IndexOf('_');
            if (underscore <= 0 || !int.TryParse(fileName[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"migration {resource} is not named NNNN_name.sql");
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, fileName[(underscore + 1)..], reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        return migrations;
    }
}
