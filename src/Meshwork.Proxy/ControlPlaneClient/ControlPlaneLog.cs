using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy;

internal static partial class ProxyLog
{
    [LoggerMessage(300, LogLevel.Information, "applied snapshot {Version} ({Source})")]
    public static partial void SnapshotApplied(ILogger logger, string version, string source);

    [LoggerMessage(301, LogLevel.Warning, "rejected snapshot {Version} ({Source}); keeping the last good one: {Error}")]
    public static partial void SnapshotRejected(ILogger logger, string version, string source, string error);

    [LoggerMessage(302, LogLevel.Information, "workload certificate {Identity} serial {Serial} valid until {NotAfter:o} ({Source})")]
    public static partial void CertificateLoaded(ILogger logger, string identity, string serial, DateTimeOffset notAfter, string source);

    [LoggerMessage(303, LogLevel.Warning, "control plane {Url} unreachable; serving the last snapshot and certificate; retrying in {Delay}: {Reason}")]
    public static partial void ControlPlaneUnavailable(ILogger logger, Uri url, TimeSpan delay, string reason);

    [LoggerMessage(304, LogLevel.Information, "connected to control plane {Url}")]
    public static partial void ControlPlaneConnected(ILogger logger, Uri url);

    [LoggerMessage(305, LogLevel.Warning, "certificate renewal failed; retrying in {Delay}: {Reason}")]
    public static partial void RenewalFailed(ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(306, LogLevel.Warning, "could not reload {What}: {Reason}")]
    public static partial void ReloadFailed(ILogger logger, string what, string reason);

    [LoggerMessage(309, LogLevel.Warning, "workload certificate {Identity} serial {Serial} expired at {NotAfter:o} without a successor (the control plane is away): peers refuse it until a new one is issued with a fresh bootstrap token; serving the last snapshot meanwhile")]
    public static partial void CertificateExpired(ILogger logger, string identity, string serial, DateTimeOffset notAfter);

    [LoggerMessage(307, LogLevel.Information, "proxy {ProxyId} ({Role}) listening: {Listeners}")]
    public static partial void Listening(ILogger logger, string proxyId, string role, string listeners);

    [LoggerMessage(310, LogLevel.Warning, "control plane {Url} unreachable; serving the last snapshot and certificate; trying replica {Next} in {Delay}: {Reason}")]
    public static partial void ControlPlaneMoving(ILogger logger, Uri url, Uri next, TimeSpan delay, string reason);

    [LoggerMessage(311, LogLevel.Information, "memory released while quiet (after start-up or traffic): {Pages} KiB of read-only file pages, GC heap {Heap} KiB, resident {Before} KiB before, {After} KiB after")]
    public static partial void QuietMemoryReleased(ILogger logger, long pages, long heap, long before, long after);
}
