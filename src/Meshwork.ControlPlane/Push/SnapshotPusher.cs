using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Registry;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Turns configuration changes into pushes: waits for the mesh state to change, lets a burst of
/// changes settle (debounce), then offers every connected proxy its regenerated snapshot. A proxy
/// whose snapshot version did not change gets nothing.
/// </summary>
public sealed partial class SnapshotPusher(
    IMeshStateSource source,
    ProxyRegistry registry,
    ProxySnapshotFactory snapshots,
    PushOptions options,
    TimeProvider time,
    ILogger<SnapshotPusher> logger) : BackgroundService
{
    /// <summary>When the last push started (the debounce over) and how long generating and queueing every proxy's snapshot took.</summary>
    public PushTiming? LastPush { get; private set; }

    /// <summary>Generates and queues the current snapshot for one proxy (a new stream, or a push).</summary>
    public bool Refresh(ProxyConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Revision first: tagging a newer state with an older revision is harmless (the next
        // push carries the same content), the other way round could drop a change.
        var revision = source.Revision;
        return Generate(connection, source.Current) is { } snapshot && connection.Offer(snapshot, revision);
    }

    /// <summary>
    /// Offers every connected proxy its snapshot for the current state; returns how many got a new one. Every
    /// snapshot is generated (on every core) before the first is queued: a queued snapshot wakes its stream's
    /// writer, and a thousand writers and their ACKs would otherwise compete with the generation of the
    /// snapshots still to come, so that the last proxies of a push waited for the first ones' traffic.
    /// </summary>
    public int PushAll()
    {
        var revision = source.Revision;
        var mesh = source.Current;
        var connections = registry.Connected;
        var generated = new ProxySnapshot?[connections.Count];
        Parallel.For(0, connections.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => generated[i] = Generate(connections[i], mesh));
        var pushed = 0;
        for (var i = 0; i < connections.Count; i++)
        {
            if (generated[i] is { } snapshot && connections[i].Offer(snapshot, revision)) pushed++;
        }
        return pushed;
    }

    /// <summary>The connection's snapshot of <paramref name="mesh"/>, or null when generation failed (the proxy keeps its last one).</summary>
    private ProxySnapshot? Generate(ProxyConnection connection, MeshState mesh)
    {
        try
        {
            return snapshots.For(connection, mesh);
        }
#pragma warning disable CA1031 // One proxy's bad generation must not stop pushes to the others; it keeps its last good snapshot.
        catch (Exception e)
#pragma warning restore CA1031
        {
            connection.RecordGenerationError(e.Message);
            LogGenerationFailed(connection.Id, e);
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var known = source.Revision;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await source.WaitForChangeAsync(known, stoppingToken).ConfigureAwait(false);
                known = await SettleAsync(stoppingToken).ConfigureAwait(false);
                var startedAt = time.GetUtcNow();
                var started = time.GetTimestamp();
                var pushed = PushAll();
                LastPush = new PushTiming(startedAt, time.GetElapsedTime(started), pushed);
                LogPushed(known, pushed, registry.Connected.Count);
                registry.Prune();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Waits until no change arrived for <see cref="PushOptions.Debounce"/>, or <see cref="PushOptions.MaxDebounce"/> passed.</summary>
    private async Task<long> SettleAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var seen = source.Revision;
        while (true)
        {
            await Task.Delay(options.Debounce, time, cancellationToken).ConfigureAwait(false);
            var now = source.Revision;
            if (now == seen || time.GetElapsedTime(started) >= options.MaxDebounce) return now;
            seen = now;
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Mesh revision {Revision}: pushed a new snapshot to {Pushed} of {Connected} proxies")]
    private partial void LogPushed(long revision, int pushed, int connected);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Generating the snapshot of proxy {ProxyId} failed; it keeps its last snapshot")]
    private partial void LogGenerationFailed(string proxyId, Exception exception);
}
