using Meshwork.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// Kestrel's HTTP/2 stage, for the connections the inbound pipeline hands over once it knows they speak HTTP/2: built
/// and started by the first of them. A sidecar whose clients speak HTTP/1.1 (mesh clients negotiate istio-http/1.1)
/// never runs Kestrel's code, so its pages stay out of the sidecar's resident memory.
/// </summary>
internal sealed class Http2Stage(HandoffListener listener, Func<KestrelServer> build, ProxyHttpApplication application) : IDisposable
{
    private readonly Lock _gate = new();
    private KestrelServer? _server;
    private Task? _started;
    private bool _stopped;

    /// <summary>True once the first HTTP/2 connection has started Kestrel.</summary>
    public bool Started
    {
        get { lock (_gate) return _started is not null; }
    }

    /// <summary>Gives Kestrel a connection, starting it first if needed; false once the proxy is stopping.</summary>
    public async ValueTask<bool> HandOffAsync(ConnectionContext connection)
    {
        Task started;
        lock (_gate)
        {
            if (_stopped) return false;
            if (_started is null)
            {
                _server = build();
                _started = _server.StartAsync(application, CancellationToken.None);
            }
            started = _started;
        }
        // A stage that could not start serves no connection: the caller closes it (Kestrel's start binds no socket
        // here, so this is not expected to happen).
        try { await started.ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { return false; }
        return listener.TryHandOff(connection);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? started;
        lock (_gate)
        {
            _stopped = true;
            started = _started;
        }
        await listener.UnbindAsync(cancellationToken).ConfigureAwait(false);
        if (started is null) return;
        // A start that failed left nothing running to stop.
        try { await started.ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { return; }
        await _server!.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes Kestrel once <see cref="StopAsync"/> has stopped it.</summary>
    public void Dispose()
    {
        KestrelServer? server;
        lock (_gate) server = _server;
        server?.Dispose();
    }
}
