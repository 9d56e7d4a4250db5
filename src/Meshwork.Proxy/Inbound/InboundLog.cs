using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
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

internal static partial class ProxyLog
{
    [LoggerMessage(107, LogLevel.Warning, "{Listener} :{Port} refused {Remote}: {Reason}: {Detail}")]
    public static partial void DownstreamRefused(ILogger logger, string listener, int port, string? remote, string reason, string detail);

    [LoggerMessage(108, LogLevel.Warning, "{Listener} :{Port} refused {Remote}: {Reason}: {Detail} ({Suppressed} more refused for this reason were not logged)")]
    public static partial void DownstreamRefusedAfterSuppressed(ILogger logger, string listener, int port, string? remote, string reason, string detail, long suppressed);
}
