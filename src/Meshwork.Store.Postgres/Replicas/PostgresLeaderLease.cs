using Npgsql;

namespace Meshwork.Store.Postgres.Replicas;

/// <summary>
/// The mesh's leader lease: a session-level advisory lock held on a connection of its own. The lock
/// lasts exactly as long as that session, so when the holder dies (killed, host gone, network cut)
/// PostgreSQL ends the session and releases the lock, and the next replica that asks takes it.
/// TCP keepalives on both ends bound how long a silent death goes unnoticed.
/// </summary>
public sealed class PostgresLeaderLease : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dedicated;
    private NpgsqlConnection? _connection;
    private volatile bool _held;

    public PostgresLeaderLease(PostgresResourceStore store)
    {
        _dedicated = store.CreateDedicatedDataSource(builder =>
        {
            builder.TcpKeepAlive = true;
            builder.TcpKeepAliveTime = 10;
            builder.TcpKeepAliveInterval = 5;
            // The server's side of the same: a holder that vanished without closing is dropped within about 25 s.
            builder.Options = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3";
        });
    }

    /// <summary>Whether this replica held the lease at its last check.</summary>
    public bool IsHeld => _held;

    /// <summary>
    /// Takes the lease when it is free and checks that a held lease is still held (its session
    /// alive). Returns whether this replica holds it now. Never waits for another holder.
    /// </summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_connection is null)
            {
                _connection = await _dedicated.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                _held = false;
            }
            if (_held)
            {
                await using var probe = new NpgsqlCommand("SELECT 1", _connection);
                await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", _connection);
            take.Parameters.AddWithValue("key", PostgresLocks.MeshLeader);
            _held = await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
            return _held;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            // The session is gone or unusable, and the lock with it.
            await DropAsync().ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>The process id of the session that holds the lease for this replica (tests end it to play a dead holder).</summary>
    public int? SessionProcessId => _held ? _connection?.ProcessID : null;

    private async Task DropAsync()
    {
        _held = false;
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropAsync().ConfigureAwait(false);
        await _dedicated.DisposeAsync().ConfigureAwait(false);
    }
}
