using Meshwork.ControlPlane.Registry;
using Meshwork.Store.Postgres;
using Meshwork.Store.Postgres.Replicas;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Hosting.Replication;

/// <summary>
/// A replica's life on a shared PostgreSQL store: every <see cref="Interval"/> it refreshes its row
/// (URL, connected proxies, leadership) and renews or tries to take the mesh's leader lease. The
/// leader does the mesh's bookkeeping (forgetting replicas that stopped beating); when it dies its
/// session ends, the lock goes, and another replica takes the lease at its next beat.
/// </summary>
public sealed partial class ReplicaHeartbeat(PostgresResourceStore store, ReplicaIdentity self, ProxyRegistry proxies, ILogger<ReplicaHeartbeat> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>A replica silent this long is taken for dead and its row removed by the leader.</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromMinutes(1);

    private readonly PostgresReplicas _replicas = new(store);
    private readonly PostgresLeaderLease _lease = new(store);

    public bool IsLeader => _lease.IsHeld;

    /// <summary>The session that holds the lease, when this replica does (tests end it to play a dead holder).</summary>
    public int? LeaseSessionProcessId => _lease.SessionProcessId;

    public PostgresReplicas Replicas => _replicas;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wasLeader = false;
        var wasReachable = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var leader = await _lease.RenewAsync(stoppingToken).ConfigureAwait(false);
                if (leader != wasLeader)
                {
                    if (leader) Log.BecameLeader(logger, self.Id); else Log.LostLeadership(logger, self.Id);
                    wasLeader = leader;
                }
                try
                {
                    await _replicas.HeartbeatAsync(self.Id, self.Url, proxies.Connected.Count, leader, stoppingToken).ConfigureAwait(false);
                    if (leader)
                    {
                        var forgotten = await _replicas.ForgetSilentAsync(Silence, stoppingToken).ConfigureAwait(false);
                        if (forgotten > 0) Log.ForgotReplicas(logger, forgotten);
                    }
                    if (!wasReachable) Log.StoreBack(logger);
                    wasReachable = true;
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    if (wasReachable) Log.StoreUnreachable(logger, e.Message);
                    wasReachable = false;
                }
                await Task.Delay(Interval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A clean stop leaves at once; a killed replica is forgotten by the leader after Silence.
            await _replicas.RemoveAsync(self.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
        }
        await _lease.DisposeAsync().ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Replica {Replica} holds the mesh's leader lease: it does the mesh-wide bookkeeping")]
        public static partial void BecameLeader(ILogger logger, string replica);

        [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Replica {Replica} lost the mesh's leader lease")]
        public static partial void LostLeadership(ILogger logger, string replica);

        [LoggerMessage(EventId = 1603, Level = LogLevel.Information, Message = "Forgot {Count} replica(s) silent for over a minute")]
        public static partial void ForgotReplicas(ILogger logger, int count);

        [LoggerMessage(EventId = 1604, Level = LogLevel.Warning, Message = "The store does not answer ({Reason}): not ready until it does")]
        public static partial void StoreUnreachable(ILogger logger, string reason);

        [LoggerMessage(EventId = 1605, Level = LogLevel.Information, Message = "The store answers again: ready")]
        public static partial void StoreBack(ILogger logger);
    }
}
