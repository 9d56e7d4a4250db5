using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
    // Server names and Secret names only: a credential's certificate or key never goes into a log line.
    [LoggerMessage(400, LogLevel.Information, "gateway port {Port}: TLS handshake refused (SNI '{ServerName}'): {Reason}")]
    public static partial void GatewayHandshakeRefused(ILogger logger, int port, string serverName, string reason);

    [LoggerMessage(401, LogLevel.Debug, "gateway port {Port}: TLS handshake failed (SNI '{ServerName}'): {Reason}")]
    public static partial void GatewayHandshakeFailed(ILogger logger, int port, string serverName, string reason);
}
