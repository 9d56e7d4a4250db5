using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
    [LoggerMessage(200, LogLevel.Information, "outbound {Method} {Authority}: {Stage}: {Reason}")]
    public static partial void OutboundFailed(ILogger logger, string method, string authority, Forwarding.UpstreamStage stage, string reason);

    [LoggerMessage(201, LogLevel.Debug, "outbound {Method} {Authority} -> {Endpoint} {Status}")]
    public static partial void OutboundForwarded(ILogger logger, string method, string authority, string endpoint, int status);

    [LoggerMessage(202, LogLevel.Debug, "outbound CONNECT {Authority} -> {Endpoint} established")]
    public static partial void TunnelEstablished(ILogger logger, string authority, string endpoint);

    [LoggerMessage(203, LogLevel.Error, "outbound connection failed unexpectedly")]
    public static partial void OutboundUnexpected(ILogger logger, Exception exception);
}
