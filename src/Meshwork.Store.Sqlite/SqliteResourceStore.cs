using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Store.Rows;
using Microsoft.Data.Sqlite;

namespace Meshwork.Store.Sqlite;

/// <summary>
/// The default store: one SQLite file (WAL mode) in the state directory. Objects are kept as the
/// JSON ResourceJson writes and read back with ManifestReader; schema changes are the numbered
/// scripts in Migrations/. Writes in this process are serialized; SQLite's write lock (BEGIN
/// IMMEDIATE) serializes them against other processes.
/// </summary>
public sealed class SqliteResourceStore : ResourceStoreBase
{
    private const string SourceName = "meshwork.db";
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly int _eventRetention;
    private readonly StoredDocuments _documents = new(SourceName);

    private SqliteResourceStore(string connectionString, TimeProvider? time, int eventRetention) : base(time)
    {
        _connectionString = connectionString;
        _eventRetention = eventRetention;
    }

    public string Path { get; private init; } = "";

    /// <summary>Opens (creating with mode 0600) the database at <paramref name="path"/> and brings its schema up to date.</summary>
    public static async Task<SqliteResourceStore> OpenAsync(string path, TimeProvider? time = null, int eventRetention = 10_000, CancellationToken cancellationToken = default)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try
            {
                await using (new FileStream(fullPath, options)) { }
            }
            catch (IOException) when (File.Exists(fullPath))
            {
                // Another process created it first.
            }
        }
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var store = new SqliteResourceStore(connectionString, time, eventRetention) { Path = fullPath };
        await using (var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            await Execute(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            await SqliteMigrations.ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        return store;
    }

    public override async ValueTask DisposeAsync()
    {
        // Let go of the file: pooled connections would keep it open after the store is gone.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        _writeLock.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override async Task<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection? connection = null;
        try
        {
            connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var transaction = connection.BeginTransaction(deferred: false);
            var revision = await ReadStateAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return new Transaction(this, connection, transaction, revision.Revision);
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            _writeLock.Release();
            throw;
        }
    }

    protected override async Task<Resource?> ReadAsync(ResourceKey key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await GetAsync(connection, null, key, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<ResourceList> ReadListAsync(string? kind, string? @namespace, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var state = await ReadStateAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT kind, namespace, name, uid, resource_version, generation, creation_timestamp, body FROM resources
            WHERE (@kind IS NULL OR kind = @kind) AND (@namespace IS NULL OR (namespace = @namespace AND namespace <> ''))
            ORDER BY kind, namespace, name
            """;
        command.Parameters.AddWithValue("@kind", (object?)kind ?? DBNull.Value);
        command.Parameters.AddWithValue("@namespace", (object?)@namespace ?? DBNull.Value);
        var items = ImmutableArray.CreateBuilder<Resource>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(ReadRow(reader, reader.GetInt64(4)));
            }
        }
        return new ResourceList(items.ToImmutable(), state.Revision);
    }

    protected override async Task<long> ReadRevisionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await ReadStateAsync(connection, null, cancellationToken).ConfigureAwait(false)).Revision;
    }

    protected override async Task<EventPage> ReadEventsAsync(long afterRevision, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var state = await ReadStateAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT kind, namespace, name, uid, revision, generation, creation_timestamp, body, type FROM events
            WHERE revision > @after ORDER BY revision LIMIT @limit
            """;
        command.Parameters.AddWithValue("@after", afterRevision);
        command.Parameters.AddWithValue("@limit", limit);
        var events = new List<StoreEvent>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var revision = reader.GetInt64(4);
                var type = Enum.Parse<StoreEventType>(reader.GetString(8));
                events.Add(new StoreEvent(revision, type, ReadRow(reader, revision)));
            }
        }
        return new EventPage(events, state.CompactedThrough);
    }

    protected override async Task<bool> RecordRedemptionAsync(string tokenId, long expiresAt, long now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var forget = connection.CreateCommand();
        forget.CommandText = RedeemedTokenRows.ForgetExpired;
        forget.Parameters.AddWithValue("@now", now);
        await forget.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var record = connection.CreateCommand();
        record.CommandText = RedeemedTokenRows.Record;
        record.Parameters.AddWithValue("@id", tokenId);
        record.Parameters.AddWithValue("@expires", expiresAt);
        return await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await Execute(connection, null, "PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL;", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<Resource?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, ResourceKey key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT kind, namespace, name, uid, resource_version, generation, creation_timestamp, body FROM resources
            WHERE kind = @kind AND namespace = @namespace AND name = @name
            """;
        command.Parameters.AddWithValue("@kind", key.Kind);
        command.Parameters.AddWithValue("@namespace", key.Namespace ?? "");
        command.Parameters.AddWithValue("@name", key.Name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRow(reader, reader.GetInt64(4)) : null;
    }

    private Resource ReadRow(SqliteDataReader reader, long revision) =>
        _documents.Read(new StoredRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            revision, reader.GetInt64(5), reader.GetString(6), reader.GetString(7)));

    private static async Task<(long Revision, long CompactedThrough)> ReadStateAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT revision, compacted_through FROM store_state WHERE id = 1";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) throw new InvalidDataException("meshwork.db has no store_state row");
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    internal static async Task Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class Transaction(SqliteResourceStore store, SqliteConnection connection, SqliteTransaction transaction, long revision) : IStoreWriteTransaction
    {
        private bool _done;

        public long Revision => revision;

        public Task<Resource?> GetAsync(ResourceKey key, CancellationToken cancellationToken) =>
            store.GetAsync(connection, transaction, key, cancellationToken);

        public Task<IReadOnlyList<Resource>> ListInNamespaceAsync(string @namespace, CancellationToken cancellationToken) =>
            ListWhereAsync("namespace = @value ORDER BY kind, name", @namespace, cancellationToken);

        public Task<IReadOnlyList<Resource>> ListKindAsync(string kind, CancellationToken cancellationToken) =>
            ListWhereAsync("kind = @value ORDER BY namespace, name", kind, cancellationToken);

        private async Task<IReadOnlyList<Resource>> ListWhereAsync(string condition, string value, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"""
                SELECT kind, namespace, name, uid, resource_version, generation, creation_timestamp, body FROM resources
                WHERE {condition}
                """;
            command.Parameters.AddWithValue("@value", value);
            var items = new List<Resource>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(store.ReadRow(reader, reader.GetInt64(4)));
            }
            return items;
        }

        public async Task WriteAsync(StoreEvent change, CancellationToken cancellationToken)
        {
            var resource = change.Object;
            var (body, created) = StoredDocuments.Columns(resource);
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = change.Type == StoreEventType.Deleted
                    ? "DELETE FROM resources WHERE kind = @kind AND namespace = @namespace AND name = @name"
                    : """
                      INSERT INTO resources (kind, namespace, name, uid, resource_version, generation, creation_timestamp, body)
                      VALUES (@kind, @namespace, @name, @uid, @revision, @generation, @created, @body)
                      ON CONFLICT (kind, namespace, name) DO UPDATE SET
                        uid = excluded.uid, resource_version = excluded.resource_version, generation = excluded.generation,
                        creation_timestamp = excluded.creation_timestamp, body = excluded.body
                      """;
                AddRowParameters(command, change, body, created);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO events (revision, type, kind, namespace, name, uid, generation, creation_timestamp, body)
                    VALUES (@revision, @type, @kind, @namespace, @name, @uid, @generation, @created, @body)
                    """;
                AddRowParameters(command, change, body, created);
                command.Parameters.AddWithValue("@type", change.Type.ToString());
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            store._documents.Remember(resource, change.Revision);
        }

        public async Task CommitAsync(long newRevision, CancellationToken cancellationToken)
        {
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                // The feed keeps the newest events; compacted_through tells a late watcher it must list again.
                command.CommandText = """
                    UPDATE store_state SET revision = @revision,
                      compacted_through = MAX(compacted_through, COALESCE((SELECT MAX(revision) FROM events WHERE revision <= @revision - @retention), 0))
                    WHERE id = 1;
                    DELETE FROM events WHERE revision <= @revision - @retention;
                    """;
                command.Parameters.AddWithValue("@revision", newRevision);
                command.Parameters.AddWithValue("@retention", store._eventRetention);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            await ReleaseAsync().ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => ReleaseAsync();

        private async ValueTask ReleaseAsync()
        {
            if (_done) return;
            _done = true;
            try
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                store._writeLock.Release();
            }
        }

        private static void AddRowParameters(SqliteCommand command, StoreEvent change, string body, string created)
        {
            var key = ResourceKey.Of(change.Object);
            command.Parameters.AddWithValue("@kind", key.Kind);
            command.Parameters.AddWithValue("@namespace", key.Namespace ?? "");
            command.Parameters.AddWithValue("@name", key.Name);
            command.Parameters.AddWithValue("@uid", change.Object.Metadata.Uid ?? "");
            command.Parameters.AddWithValue("@revision", change.Revision);
            command.Parameters.AddWithValue("@generation", change.Object.Metadata.Generation);
            command.Parameters.AddWithValue("@created", created);
            command.Parameters.AddWithValue("@body", body);
        }
    }
}
