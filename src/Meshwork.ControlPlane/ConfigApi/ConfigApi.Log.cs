using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi;

internal static partial class ConfigApiLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "{Verb} {Ref} at resourceVersion {ResourceVersion}")]
    public static partial void Written(ILogger logger, string verb, string @ref, string? resourceVersion);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Applied {Count} objects ({Changed} changed) up to resourceVersion {Revision}")]
    public static partial void Applied(ILogger logger, int count, int changed, long revision);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "{Method} {Path} refused: {Reason}: {Message}")]
    public static partial void Refused(ILogger logger, string method, string path, string reason, string message);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Unauthenticated {Method} {Path} from {Remote} refused")]
    public static partial void Unauthenticated(ILogger logger, string method, string path, string? remote);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "Watch on {Plural} from resourceVersion {ResourceVersion} ended")]
    public static partial void WatchEnded(ILogger logger, string plural, long resourceVersion);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} container {Container} over {Protocol}")]
    public static partial void ExecStarted(ILogger logger, string @namespace, string pod, string container, string protocol);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} container {Container} exited with code {ExitCode}")]
    public static partial void ExecEnded(ILogger logger, string @namespace, string pod, string container, int exitCode);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} container {Container} ended before its command: the client left or the host is stopping")]
    public static partial void ExecAbandoned(ILogger logger, string @namespace, string pod, string container);
}
