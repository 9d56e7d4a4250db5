namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// A mesh TLS connection, whichever engine carries it (OpenSSL over the proxy's own socket, or
/// SslStream over any stream): the stream to read and write, the checked peer, the negotiated ALPN,
/// and the TLS close (close_notify) that the relays send before a half-close.
/// </summary>
internal interface IMeshTlsStream : IAsyncDisposable
{
    /// <summary>This connection as a stream (the same object).</summary>
    Stream Stream { get; }

    PeerVerdict Peer { get; }

    /// <summary>The ALPN value the handshake settled on; empty when none.</summary>
    string ApplicationProtocol { get; }

    /// <summary>Runs the handshake; a refusal by the certificate check is recorded on <see cref="Peer"/> before this throws.</summary>
    ValueTask HandshakeAsync(CancellationToken cancellationToken);

    /// <summary>Sends close_notify (RFC 8446 §6.1): the peer's reader sees an end of stream, not a truncation.</summary>
    Task ShutdownAsync();
}
