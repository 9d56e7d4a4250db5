using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.MeshTls;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Gateway;

/// <summary>
/// Terminates TLS on an HTTPS Gateway port: the ClientHello's server name (RFC 6066 §3) picks the server whose
/// credential answers, from the configuration current at that moment; MUTUAL servers require a client certificate
/// that chains to their Secret's ca.crt. Anything else — no server for the name, a server whose Secret is missing,
/// a client without an acceptable certificate, a stalled handshake — ends the connection before any request is read.
/// </summary>
internal sealed class GatewayTlsTerminator(ProxyState state, ILogger logger)
{
    /// <summary>Bounds the handshake, as Kestrel's HTTPS middleware does, so a silent client cannot hold a connection open.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The decrypted stream on success; null (with the socket left for the caller to close) on any handshake failure.</summary>
    public async ValueTask<SslStream?> HandshakeAsync(Socket socket, int port, CancellationToken stopping)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        string? serverName = null;
        string? refusal = null;
        try
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timer.CancelAfter(HandshakeTimeout);
            await ssl.AuthenticateAsServerAsync((_, hello, _, _) =>
            {
                serverName = hello.ServerName;
                var server = state.Config?.GatewayRoutes.TlsServerFor(port, hello.ServerName);
                refusal = server switch
                {
                    null => string.IsNullOrEmpty(hello.ServerName) ? "no server name, and no HTTPS server for host \"*\"" : "no HTTPS server accepts this server name",
                    { Context: null } => server.Problem ?? "the server has no credential",
                    _ => null,
                };
                if (refusal is not null) throw new AuthenticationException(refusal);
                return ValueTask.FromResult(server!.ServerOptions());
            }, null, timer.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (HandshakeErrors.IsHandshakeError(e))
        {
            if (refusal is not null) ProxyLog.GatewayHandshakeRefused(logger, port, serverName ?? "", refusal);
            else ProxyLog.GatewayHandshakeFailed(logger, port, serverName ?? "", $"{HandshakeErrors.Classify(e, stopping.IsCancellationRequested).Describe()}: {e.Message}");
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }
}
