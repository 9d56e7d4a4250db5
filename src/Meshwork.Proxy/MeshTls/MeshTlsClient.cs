using System.Collections.Frozen;

namespace Meshwork.Proxy.MeshTls;

/// <summary>The client side of mesh TLS: originate on a connected transport, check the server, report a reason on failure.</summary>
internal static class MeshTlsClient
{
    /// <summary>
    /// Originates TLS on <paramref name="transport"/> within <paramref name="timeout"/>, presenting
    /// the workload certificate when <paramref name="presentCertificate"/>, and requiring the server to
    /// be one of <paramref name="expectedServerIdentities"/> when given (secure naming). On failure
    /// the transport is disposed; the caller's own cancellation propagates as an exception.
    /// </summary>
    public static async ValueTask<ClientHandshake> HandshakeAsync(
        Stream transport, MeshTlsContext context, string targetHost, ClientAlpn alpn, bool presentCertificate,
        FrozenSet<string>? expectedServerIdentities, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var tls = MeshTlsEngine.Client(transport, context, targetHost, alpn, presentCertificate, expectedServerIdentities);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            await tls.HandshakeAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (HandshakeErrors.IsHandshakeError(e))
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var (reason, detail) = HandshakeErrors.Explain(tls.Peer, e, callerCancelled: false);
            return new ClientHandshake.Failed(reason, detail, e);
        }
        if (alpn == ClientAlpn.Http2 && tls.ApplicationProtocol != "h2")
        {
            var negotiated = tls.ApplicationProtocol;
            await tls.DisposeAsync().ConfigureAwait(false);
            return new ClientHandshake.Failed(HandshakeFailure.AlpnMismatch, $"the server negotiated ALPN '{negotiated}', not h2", null);
        }
        return new ClientHandshake.Established(tls);
    }
}
