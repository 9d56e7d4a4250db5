using System.Threading.Channels;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>
/// Keeps one immutable <see cref="MeshState"/> in step with the store: it lists everything once,
/// then follows the change feed. Changes that arrive together are folded into one new state, so a
/// multi-document apply produces one state, not one per object.
/// </summary>
public sealed partial class StoreMeshStateSource : IMeshStateSource, IAsyncDisposable
{
    private readonly IResourceStore _store;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<ResourceKey, Resource> _objects = [];
    private volatile Snapshot _snapshot = new(MeshState.Empty, 0);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    private sealed record Snapshot(MeshState State, long Revision);

    public StoreMeshStateSource(IResourceStore store, ILogger<StoreMeshStateSource> logger)
    {
        _store = store;
        _logger = logger;
    }

    public MeshState Current => _snapshot.State;

    public long Revision => _snapshot.Revision;

    /// <summary>Reads the store's current content, then follows its changes in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var revision = await RelistAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => FollowAsync(revision, _stopping.Token), CancellationToken.None);
    }

    public async Task WaitForChangeAsync(long knownRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (Revision > knownRevision) return;
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task<long> RelistAsync(CancellationToken cancellationToken)
    {
        var list = await _store.ListAsync(new ListOptions(), cancellationToken).ConfigureAwait(false);
        _objects.Clear();
        foreach (var item in list.Items) _objects[ResourceKey.Of(item)] = item;
        Publish(list.Revision);
        return list.Revision;
    }

    private async Task FollowAsync(long revision, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var changes = Channel.CreateUnbounded<StoreEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            using var watchStopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var pump = Task.Run(async () =>
            {
                try
                {
                    await foreach (var change in _store.WatchAsync(revision, watchStopped.Token).ConfigureAwait(false))
                    {
                        await changes.Writer.WriteAsync(change, watchStopped.Token).ConfigureAwait(false);
                    }
                    changes.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    changes.Writer.TryComplete(e);
                }
            }, CancellationToken.None);
            try
            {
                while (await changes.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (changes.Reader.TryRead(out var change))
                    {
                        var key = ResourceKey.Of(change.Object);
                        if (change.Type == StoreEventType.Deleted) _objects.Remove(key); else _objects[key] = change.Object;
                        revision = change.Revision;
                    }
                    Publish(revision);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e) when (e.Kind == StoreErrorKind.Expired)
            {
                Log.FeedExpired(_logger, revision);
                revision = await RelistAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.FeedFailed(_logger, revision, e);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await watchStopped.CancelAsync().ConfigureAwait(false);
                await pump.ConfigureAwait(false);
            }
        }
    }

    private void Publish(long revision)
    {
        // Older objects first: MeshState breaks ties in age by list order.
        var ordered = _objects.Values
            .OrderBy(r => r.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue)
            .ThenBy(r => long.TryParse(r.Metadata.ResourceVersion, out var v) ? v : 0);
        _snapshot = new Snapshot(MeshState.From(ordered), revision);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        Log.StatePublished(_logger, revision, _objects.Count);
    }
}
