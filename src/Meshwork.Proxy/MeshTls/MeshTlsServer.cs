using System.Net.Security;

namespace Meshwork.Proxy.MeshTls;

/// <summary>The server side of mesh mTLS: one call from a transport to a verified peer or a failure with its reason.</summary>
internal static class MeshTlsServer
{
    /// <summary>
    /// Terminates mTLS on <paramref name="transport"/> with <paramref name="context"/>'s prebuilt server
    /// options, within <paramref name="timeout"/>. On failure the transport is disposed. The context
    /// must have credentials (<see cref="MeshTlsContext.ServerOptions"/> not null).
    /// </summary>
    public static async ValueTask<ServerHandshake> HandshakeAsync(Stream transport, MeshTlsContext context, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var options = context.ServerOptions ?? throw new InvalidOperationException("the mesh TLS context has no workload certificate to serve");
        var ssl = new MeshTlsStream(transport, context);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            await ssl.AuthenticateAsServerAsync(options, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (HandshakeErrors.IsHandshakeError(e))
        {
            var (reason, detail) = HandshakeErrors.Explain(ssl, e, cancellationToken.IsCancellationRequested);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return new ServerHandshake.Failed(reason, detail);
        }
        if (ssl.PeerLeaf is not { } leaf || ssl.PeerSpiffeUri is not { } peer)
        {
            // The check accepts only with both set; a completed handshake without them never reaches the app.
            await ssl.DisposeAsync().ConfigureAwait(false);
            return new ServerHandshake.Failed(HandshakeFailure.NoClientCertificate, HandshakeFailure.NoClientCertificate.Describe());
        }
        return new ServerHandshake.Mutual(ssl, leaf, peer, ssl.NegotiatedApplicationProtocol.ToString());
    }
}
