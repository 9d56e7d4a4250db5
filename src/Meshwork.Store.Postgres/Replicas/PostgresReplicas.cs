using Npgsql;

namespace Meshwork.Store.Postgres.Replicas;

/// <summary>One control-plane replica as its last heartbeat left it; the age is measured on the database's clock.</summary>
public sealed record ReplicaRow(string Id, string Url, string Host, int Pid, DateTimeOffset StartedAt, TimeSpan HeartbeatAge, int ConnectedProxies, bool Leader);

/// <summary>The replicas table: each replica registers a row and refreshes it with its heartbeat.</summary>
public sealed class PostgresReplicas(PostgresResourceStore store)
{
    /// <summary>Creates or refreshes this replica's row.</summary>
    public async Task HeartbeatAsync(string id, string url, int connectedProxies, bool leader, CancellationToken cancellationToken)
    {
        await using var command = store.DataSource.CreateCommand("""
            INSERT INTO replicas (id, url, host, pid, connected_proxies, leader) VALUES (@id, @url, @host, @pid, @proxies, @leader)
            ON CONFLICT (id) DO UPDATE SET url = excluded.url, heartbeat_at = now(), connected_proxies = excluded.connected_proxies, leader = excluded.leader
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("url", url);
        command.Parameters.AddWithValue("host", Environment.MachineName);
        command.Parameters.AddWithValue("pid", Environment.ProcessId);
        command.Parameters.AddWithValue("proxies", connectedProxies);
        command.Parameters.AddWithValue("leader", leader);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every registered replica. A row's leader flag counts only while its heartbeat is fresher than
    /// <paramref name="fresh"/>: a killed leader's row keeps the flag it last wrote, but not the lease.
    /// </summary>
    public async Task<IReadOnlyList<ReplicaRow>> ListAsync(TimeSpan fresh, CancellationToken cancellationToken)
    {
        await using var command = store.DataSource.CreateCommand(
            "SELECT id, url, host, pid, started_at, now() - heartbeat_at, connected_proxies, leader AND heartbeat_at > now() - @fresh FROM replicas ORDER BY started_at, id");
        command.Parameters.AddWithValue("fresh", fresh);
        var rows = new List<ReplicaRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ReplicaRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetTimeSpan(5), reader.GetInt32(6), reader.GetBoolean(7)));
        }
        return rows;
    }

    /// <summary>Removes one replica's row (a clean stop).</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = store.DataSource.CreateCommand("DELETE FROM replicas WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets replicas silent for longer than <paramref name="silence"/> (the leader's bookkeeping); returns how many.</summary>
    public async Task<int> ForgetSilentAsync(TimeSpan silence, CancellationToken cancellationToken)
    {
        await using var command = store.DataSource.CreateCommand("DELETE FROM replicas WHERE heartbeat_at < now() - @silence");
        command.Parameters.AddWithValue("silence", silence);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
