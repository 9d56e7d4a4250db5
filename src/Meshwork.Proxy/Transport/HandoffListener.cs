using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>Kestrel's listener for a <see cref="HandoffEndPoint"/>: it accepts the connections handed to it.</summary>
internal sealed class HandoffListener(HandoffEndPoint endPoint) : IConnectionListener
{
    private readonly Channel<ConnectionContext> _queue = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });

    public EndPoint EndPoint { get; } = endPoint;

    /// <summary>Gives Kestrel a connection; false once the listener is unbound (the proxy is stopping).</summary>
    public bool TryHandOff(ConnectionContext connection) => _queue.Writer.TryWrite(connection);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try { return await _queue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false); }
        catch (ChannelClosedException) { return null; }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _queue.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
