using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
    // Objects, not strings: nothing is formatted per connection unless the level is on.
    [LoggerMessage(400, LogLevel.Debug, "captured outbound {Remote} -> {Destination}: {Service}:{Port}")]
    public static partial void OutboundCaptured(ILogger logger, System.Net.EndPoint? remote, Capture.Ipv4EndPoint destination, string service, int port);

    [LoggerMessage(401, LogLevel.Information, "captured {Side} connection from {Remote} refused: {Reason}")]
    public static partial void CaptureRefused(ILogger logger, string side, System.Net.EndPoint? remote, string reason);

    [LoggerMessage(402, LogLevel.Information, "PassthroughCluster {Destination}: {Reason}")]
    public static partial void PassthroughFailed(ILogger logger, string destination, string reason);
}
