using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Store.Rows;
using Npgsql;

namespace Meshwork.Store.Postgres;

/// <summary>
/// One write of <see cref="PostgresResourceStore"/>: a database transaction that holds the
/// store_state row lock from its first statement to its commit, so it is the only writer of the
/// whole mesh meanwhile and its reads (the clusterIPs in use among them) stay true until it commits.
/// </summary>
internal sealed class PostgresWriteTransaction(PostgresResourceStore store, NpgsqlConnection connection, NpgsqlTransaction transaction, long revision) : IStoreWriteTransaction
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
        await using var command = new NpgsqlCommand($"SELECT {PostgresResourceStore.Columns} FROM resources WHERE {condition}", connection, transaction);
        command.Parameters.AddWithValue("value", value);
        return await store.ReadRowsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteAsync(StoreEvent change, CancellationToken cancellationToken)
    {
        var resource = change.Object;
        var key = ResourceKey.Of(resource);
        var (body, created) = StoredDocuments.Columns(resource);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var row = new NpgsqlBatchCommand(change.Type == StoreEventType.Deleted
            ? "DELETE FROM resources WHERE kind = @kind AND namespace = @namespace AND name = @name"
            : """
              INSERT INTO resources (kind, namespace, name, uid, resource_version, generation, creation_timestamp, body, cluster_ip)
              VALUES (@kind, @namespace, @name, @uid, @revision, @generation, @created, @body, @cluster_ip)
              ON CONFLICT (kind, namespace, name) DO UPDATE SET
                uid = excluded.uid, resource_version = excluded.resource_version, generation = excluded.generation,
                creation_timestamp = excluded.creation_timestamp, body = excluded.body, cluster_ip = excluded.cluster_ip
              """);
        AddRowParameters(row, key, change, body, created);
        row.Parameters.AddWithValue("cluster_ip", (object?)ClusterIp(resource) ?? DBNull.Value);
        var feed = new NpgsqlBatchCommand("""
            INSERT INTO events (revision, type, kind, namespace, name, uid, generation, creation_timestamp, body)
            VALUES (@revision, @type, @kind, @namespace, @name, @uid, @generation, @created, @body)
            """);
        AddRowParameters(feed, key, change, body, created);
        feed.Parameters.AddWithValue("type", change.Type.ToString());
        batch.BatchCommands.Add(row);
        batch.BatchCommands.Add(feed);
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "resources_by_cluster_ip")
        {
            var message = $"Service \"{key.Name}\": spec.clusterIP: Invalid value: \"{ClusterIp(resource)}\": provided IP is already allocated";
            throw new StoreException(StoreErrorKind.Invalid, message, [new StoreCause(null, "spec.clusterIP", message)], key);
        }
        store.Remember(resource, change.Revision);
    }

    public async Task CommitAsync(long newRevision, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("""
            UPDATE store_state SET revision = @revision,
              compacted_through = GREATEST(compacted_through, COALESCE((SELECT MAX(revision) FROM events WHERE revision <= @revision - @retention), 0))
            WHERE id = 1;
            DELETE FROM events WHERE revision <= @revision - @retention;
            SELECT pg_notify(@channel, @payload);
            """, connection, transaction))
        {
            // The feed keeps the newest events; compacted_through tells a late watcher it must list again.
            command.Parameters.AddWithValue("revision", newRevision);
            command.Parameters.AddWithValue("retention", (long)store.EventRetention);
            command.Parameters.AddWithValue("channel", PostgresResourceStore.ChangeChannel);
            // NOTIFY is delivered at commit, to every listening replica (this one too).
            command.Parameters.AddWithValue("payload", newRevision.ToString(CultureInfo.InvariantCulture));
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
        await transaction.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private static string? ClusterIp(Resource resource) =>
        resource is Service { Spec.ClusterIp: { } address } && address != "None" ? address : null;

    private static void AddRowParameters(NpgsqlBatchCommand command, ResourceKey key, StoreEvent change, string body, string created)
    {
        command.Parameters.AddWithValue("kind", key.Kind);
        command.Parameters.AddWithValue("namespace", key.Namespace ?? "");
        command.Parameters.AddWithValue("name", key.Name);
        command.Parameters.AddWithValue("uid", change.Object.Metadata.Uid ?? "");
        command.Parameters.AddWithValue("revision", change.Revision);
        command.Parameters.AddWithValue("generation", change.Object.Metadata.Generation);
        command.Parameters.AddWithValue("created", created);
        command.Parameters.AddWithValue("body", body);
    }
}
