using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Hosting;

public sealed partial class StoreMeshStateSource
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Mesh state at revision {Revision}: {Count} objects")]
        public static partial void StatePublished(ILogger logger, long revision, int count);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "The store's change feed no longer holds revision {Revision}; listing again")]
        public static partial void FeedExpired(ILogger logger, long revision);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Following the store's change feed failed after revision {Revision}; retrying")]
        public static partial void FeedFailed(ILogger logger, long revision, Exception exception);
    }
}
