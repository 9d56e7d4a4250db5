using System.Threading.Channels;

namespace Meshwork.Api.Events;

/// <summary>
/// Posts events to the config API (<c>POST /api/v1/namespaces/{ns}/events</c>) from a bounded
/// queue, so that a component reporting them never waits on the network. When the API is slow or
/// away the oldest unsent events are dropped first, as the kubelet's event broadcaster drops them:
/// events are a help to the reader, never a record the mesh depends on.
/// </summary>
public sealed class ApiEventRecorder : IEventRecorder, IAsyncDisposable
{
    private const int Capacity = 256;

    private readonly Channel<ObjectEvent> _queue = Channel.CreateBounded<ObjectEvent>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly MeshApiClient _api;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sending;
    private string? _lastError;

    public ApiEventRecorder(MeshApiClient api, Action<string> log)
    {
        _api = api;
        _log = log;
        _sending = Task.Run(SendAllAsync);
    }

    public void Record(ObjectEvent objectEvent) => _queue.Writer.TryWrite(objectEvent);

    private async Task SendAllAsync()
    {
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await _api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(e.Namespace)}/events", EventJson.Serialize(e), _stopping.Token).ConfigureAwait(false);
                    _lastError = null;
                }
                catch (MeshApiException error)
                {
                    // One line per kind of failure, not one per event.
                    if (_lastError != error.Message) _log($"events: could not record {e.Reason} of {e.Subject.Kind}/{e.Subject.Name}: {error.Message}");
                    _lastError = error.Message;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends what is queued, for at most five seconds, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _stopping.CancelAfter(TimeSpan.FromSeconds(5));
        try { await _sending.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stopping.Dispose();
    }
}
