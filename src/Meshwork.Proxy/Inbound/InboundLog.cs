using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
    [LoggerMessage(100, LogLevel.Debug, "inbound :{Port} connection from {Remote} refused: {Rejection} ({Detail})")]
    public static partial void InboundRejected(ILogger logger, int port, string? remote, Inbound.Tls.InboundRejection rejection, string detail);

    [LoggerMessage(101, LogLevel.Information, "inbound :{Port} TLS handshake from {Remote} failed: {Reason}: {Detail}")]
    public static partial void InboundHandshakeFailed(ILogger logger, int port, string? remote, string reason, string detail);

    [LoggerMessage(102, LogLevel.Debug, "inbound :{Port} {Remote} accepted: {Security} peer {Peer}")]
    public static partial void InboundAccepted(ILogger logger, int port, string? remote, string security, string peer);

    [LoggerMessage(103, LogLevel.Information, "inbound :{Port} {Method} {Path} denied by authorization: {Reason}")]
    public static partial void InboundDenied(ILogger logger, int port, string? method, string? path, string reason);

    [LoggerMessage(104, LogLevel.Information, "inbound :{Port} forwarding to the app failed: {Stage}: {Reason}")]
    public static partial void InboundForwardFailed(ILogger logger, int port, Forwarding.UpstreamStage stage, string reason);

    [LoggerMessage(109, LogLevel.Information, "inbound :{Port} kept-alive connection reset: the port's mode is now {Mode} and no longer admits it")]
    public static partial void InboundModeChanged(ILogger logger, int port, string mode);

    [LoggerMessage(105, LogLevel.Error, "inbound :{Port} connection failed unexpectedly")]
    public static partial void InboundUnexpected(ILogger logger, int port, Exception exception);
}

internal static partial class ProxyLog
{
    [LoggerMessage(106, LogLevel.Debug, "{Side} tcp relay on {Port} ended: {End}, received {Received} sent {Sent} bytes")]
    public static partial void RelayEnded(ILogger logger, string side, int port, Forwarding.RelayEnd end, long received, long sent);
}
