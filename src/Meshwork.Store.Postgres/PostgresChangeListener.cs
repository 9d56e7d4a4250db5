using Npgsql;

namespace Meshwork.Store.Postgres;

/// <summary>
/// Holds one connection that LISTENs on the change channel and wakes the store's watchers on every
/// notification. Notifications sent while no connection listens are lost, so after every (re)connect
/// the watchers are woken too: they read the event log from their last revision and converge.
/// The connection is re-made with a bounded back-off for as long as the store is open.
/// </summary>
internal sealed class PostgresChangeListener(NpgsqlDataSource dataSource, string channel, Action changed) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    // A quiet connection is probed this often, so a dead server is noticed without traffic.
    private static readonly TimeSpan IdleProbe = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile bool _listening;

    public bool IsListening => _listening;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, _) => changed();
                await using (var listen = new NpgsqlCommand($"LISTEN {channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                _listening = true;
                backoff = TimeSpan.FromMilliseconds(200);
                changed();
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(IdleProbe, cancellationToken).ConfigureAwait(false))
                    {
                        await using var probe = new NpgsqlCommand("SELECT 1", connection);
                        await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                // The server went away or refused us: try again shortly.
            }
            _listening = false;
            try
            {
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
