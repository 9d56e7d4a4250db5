using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
    [LoggerMessage(400, LogLevel.Debug, "captured outbound {Remote} -> {Destination}: {Target}")]
    public static partial void OutboundCaptured(ILogger logger, string? remote, string destination, string target);

    [LoggerMessage(401, LogLevel.Information, "captured {Side} connection from {Remote} refused: {Reason}")]
    public static partial void CaptureRefused(ILogger logger, string side, string? remote, string reason);

    [LoggerMessage(402, LogLevel.Information, "PassthroughCluster {Destination}: {Reason}")]
    public static partial void PassthroughFailed(ILogger logger, string destination, string reason);
}
