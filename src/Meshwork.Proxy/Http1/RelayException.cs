namespace Meshwork.Proxy.Http1;

/// <summary>A read or write failure on one side of a relay: the transport, not the bytes, went wrong.</summary>
internal sealed class RelayException(RelaySide side, string message, Exception? inner = null) : IOException(message, inner)
{
    public RelaySide Side { get; } = side;
}
