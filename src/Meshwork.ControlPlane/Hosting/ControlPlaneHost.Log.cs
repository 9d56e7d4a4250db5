using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Hosting;

public static partial class ControlPlaneHost
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Not using the plugged-in CA: {Reason}")]
        public static partial void CacertsIgnored(ILogger logger, string reason);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Control plane listening on {Url} (state directory {StateDirectory}, trust domain {TrustDomain})")]
        public static partial void Listening(ILogger logger, string url, string stateDirectory, string trustDomain);
    }
}
