namespace Meshwork.Proxy.MeshTls;

/// <summary>The server side of mesh mTLS: one call from a transport to a verified peer or a failure with its reason.</summary>
internal static class MeshTlsServer
{
    /// <summary>
    /// Terminates mTLS on <paramref name="transport"/> with <paramref name="context"/>'s prebuilt server
    /// side, within <paramref name="timeout"/>. On failure the transport is disposed. The context
    /// must have credentials (<see cref="MeshTlsContext.ServerOptions"/> not null).
    /// </summary>
    public static async ValueTask<ServerHandshake> HandshakeAsync(Stream transport, MeshTlsContext context, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (context.ServerOptions is null) throw new InvalidOperationException("the mesh TLS context has no workload certificate to serve");
        var tls = MeshTlsEngine.Server(transport, context);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            await tls.HandshakeAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (HandshakeErrors.IsHandshakeError(e))
        {
            var (reason, detail) = HandshakeErrors.Explain(tls.Peer, e, cancellationToken.IsCancellationRequested);
            await tls.DisposeAsync().ConfigureAwait(false);
            return new ServerHandshake.Failed(reason, detail);
        }
        if (tls.Peer.PeerLeaf is not { } leaf || tls.Peer.PeerSpiffeUri is not { } peer)
        {
            // The check accepts only with both set; a completed handshake without them never reaches the app.
            await tls.DisposeAsync().ConfigureAwait(false);
            return new ServerHandshake.Failed(HandshakeFailure.NoClientCertificate, HandshakeFailure.NoClientCertificate.Describe());
        }
        return new ServerHandshake.Mutual(tls, leaf, peer, tls.ApplicationProtocol);
    }
}
