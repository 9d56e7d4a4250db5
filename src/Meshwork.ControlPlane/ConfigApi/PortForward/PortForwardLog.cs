using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

internal static partial class PortForwardLog
{
    [LoggerMessage(EventId = 1231, Level = LogLevel.Information, Message = "Port-forward to {Namespace}/{Pod} over {Protocol}")]
    public static partial void Started(ILogger logger, string @namespace, string pod, string protocol);

    [LoggerMessage(EventId = 1232, Level = LogLevel.Information, Message = "Port-forward to {Namespace}/{Pod} ended after {Forwarded} forwarded connections")]
    public static partial void Ended(ILogger logger, string @namespace, string pod, int forwarded);

    [LoggerMessage(EventId = 1233, Level = LogLevel.Warning, Message = "Port-forward to {Pod} ended on the client's protocol error: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string pod, string reason);

    [LoggerMessage(EventId = 1234, Level = LogLevel.Debug, Message = "Port-forward to {Pod}: stream {StreamId} refused: {Reason}")]
    public static partial void StreamRefused(ILogger logger, string pod, uint streamId, string reason);

    [LoggerMessage(EventId = 1235, Level = LogLevel.Information, Message = "Port-forward to {Pod}, request {RequestId}: {Message}")]
    public static partial void ForwardFailed(ILogger logger, string pod, string requestId, string message);
}
