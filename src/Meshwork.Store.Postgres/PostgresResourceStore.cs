using System.Collections.Immutable;
using System.Data;
using Meshwork.Model.Resources;
using Meshwork.Store.Rows;
using Npgsql;

namespace Meshwork.Store.Postgres;

/// <summary>
/// The store that several control-plane replicas share. Objects are kept as the JSON documents
/// ResourceJson writes; schema changes are the numbered scripts in Migrations/. Every write locks
/// the store_state row first, so writers of all replicas are serialized and the revision (the
/// objects' resourceVersion) comes from the database without gaps. Each commit notifies the
/// <see cref="ChangeChannel"/> channel; every replica LISTENs on it and reads the event log from
/// its last revision (the catch-up query), so a replica that missed notifications still converges.
/// </summary>
public sealed class PostgresResourceStore : ResourceStoreBase
{
    /// <summary>The LISTEN/NOTIFY channel; the payload is the revision just committed.</summary>
    public const string ChangeChannel = "meshwork_changes";

    private const string SourceName = "postgres";
    internal const string Columns = "kind, namespace, name, uid, resource_version, generation, creation_timestamp, body";
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _listenerSource;
    private readonly string _connectionString;
    private readonly int _eventRetention;
    private readonly StoredDocuments _documents = new(SourceName);
    private readonly PostgresChangeListener _listener;

    private PostgresResourceStore(string connectionString, NpgsqlDataSource dataSource, TimeProvider? time, int eventRetention) : base(time)
    {
        _connectionString = connectionString;
        _dataSource = dataSource;
        _eventRetention = eventRetention;
        _listenerSource = CreateDedicatedDataSource(_ => { });
        _listener = new PostgresChangeListener(_listenerSource, ChangeChannel, SignalChanged);
    }

    /// <summary>
    /// Connections of their own, outside the pool, for sessions whose state matters (LISTEN, a
    /// session advisory lock): a pooled connection would keep that state after it is given back.
    /// </summary>
    public NpgsqlDataSource CreateDedicatedDataSource(Action<NpgsqlConnectionStringBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false };
        configure(builder);
        return NpgsqlDataSource.Create(builder);
    }

    /// <summary>Where the store is, without its password (for status and logs).</summary>
    public string Description { get; private init; } = "";

    /// <summary>The connection pool, for the replica's own tables (leases, replicas, CA, tokens).</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Whether this replica currently hears the change feed's notifications.</summary>
    public bool IsListening => _listener.IsListening;

    // Notifications wake watchers at once; this poll only bounds how late a replica can be when one is lost.
    protected override TimeSpan PollInterval => TimeSpan.FromSeconds(5);

    /// <summary>Connects, brings the schema up to date (one replica at a time) and starts following the change feed.</summary>
    public static async Task<PostgresResourceStore> OpenAsync(string connectionString, TimeProvider? time = null, int eventRetention = 10_000, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var description = $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        var dataSource = NpgsqlDataSource.Create(builder);
        try
        {
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            {
                await PostgresMigrations.ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            var store = new PostgresResourceStore(builder.ConnectionString, dataSource, time, eventRetention) { Description = description };
            store._listener.Start();
            return store;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _listenerSource.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Whether the database answers now (readiness).</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    protected override async Task<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            var state = await ReadStateAsync(connection, transaction, forUpdate: true, cancellationToken).ConfigureAwait(false);
            return new PostgresWriteTransaction(this, connection, transaction, state.Revision);
        }
        catch
        {
            if (transaction is not null) await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task<Resource?> ReadAsync(ResourceKey key, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await GetAsync(connection, null, key, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<ResourceList> ReadListAsync(string? kind, string? @namespace, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the rows and the revision, so a watch from the list's revision misses nothing.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var state = await ReadStateAsync(connection, transaction, forUpdate: false, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM resources
            WHERE (@kind::text IS NULL OR kind = @kind) AND (@namespace::text IS NULL OR (namespace = @namespace AND namespace <> ''))
            ORDER BY kind, namespace, name
            """, connection, transaction);
        command.Parameters.AddWithValue("kind", (object?)kind ?? DBNull.Value);
        command.Parameters.AddWithValue("namespace", (object?)@namespace ?? DBNull.Value);
        var items = await ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ResourceList([.. items], state.Revision);
    }

    protected override async Task<long> ReadRevisionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await ReadStateAsync(connection, null, forUpdate: false, cancellationToken).ConfigureAwait(false)).Revision;
    }

    protected override async Task<bool> RecordRedemptionAsync(string tokenId, long expiresAt, long now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var forget = new NpgsqlCommand(RedeemedTokenRows.ForgetExpired, connection))
        {
            forget.Parameters.AddWithValue("now", now);
            await forget.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var record = new NpgsqlCommand(RedeemedTokenRows.Record, connection);
        record.Parameters.AddWithValue("id", tokenId);
        record.Parameters.AddWithValue("expires", expiresAt);
        return await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    protected override async Task<EventPage> ReadEventsAsync(long afterRevision, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var state = await ReadStateAsync(connection, transaction, forUpdate: false, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT kind, namespace, name, uid, revision, generation, creation_timestamp, body, type FROM events
            WHERE revision > @after ORDER BY revision LIMIT @limit
            """, connection, transaction);
        command.Parameters.AddWithValue("after", afterRevision);
        command.Parameters.AddWithValue("limit", limit);
        var events = new List<StoreEvent>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var type = Enum.Parse<StoreEventType>(reader.GetString(8));
                events.Add(new StoreEvent(reader.GetInt64(4), type, ReadRow(reader)));
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new EventPage(events, state.CompactedThrough);
    }

    internal async Task<Resource?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, ResourceKey key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM resources WHERE kind = @kind AND namespace = @namespace AND name = @name", connection, transaction);
        command.Parameters.AddWithValue("kind", key.Kind);
        command.Parameters.AddWithValue("namespace", key.Namespace ?? "");
        command.Parameters.AddWithValue("name", key.Name);
        var rows = await ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    internal async Task<List<Resource>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<Resource>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(ReadRow(reader));
        }
        return items;
    }

    internal void Remember(Resource resource, long revision) => _documents.Remember(resource, revision);

    internal int EventRetention => _eventRetention;

    private Resource ReadRow(NpgsqlDataReader reader) =>
        _documents.Read(new StoredRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6), reader.GetString(7)));

    private static async Task<(long Revision, long CompactedThrough)> ReadStateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            forUpdate ? "SELECT revision, compacted_through FROM store_state WHERE id = 1 FOR UPDATE" : "SELECT revision, compacted_through FROM store_state WHERE id = 1",
            connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) throw new InvalidDataException("the database has no store_state row");
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
