using Meshwork.Proxy.Metrics;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Protection;

/// <summary>Why the proxy refused a downstream connection or request before it reached anything behind it: the metric's reason label.</summary>
internal static class RefusalReason
{
    public const string ConnectionLimit = "connection_limit";
    public const string PendingLimit = "pending_limit";
    public const string RequestHeadersTimeout = "request_headers_timeout";
    public const string MalformedRequest = "malformed_request";
    public const string PlaintextOnStrictPort = "plaintext_on_strict_port";
    public const string TlsOnDisabledPort = "tls_on_disabled_port";
    public const string UnknownPort = "unknown_port";
    public const string NoCertificate = "no_certificate";
    public const string HandshakeFailed = "handshake_failed";
}

/// <summary>
/// One place for every refusal of a downstream client: it is counted
/// (<c>meshwork_downstream_refused_total{listener,reason}</c>) and logged, at most a few lines per reason
/// every ten seconds, each saying how many like it were not logged.
/// </summary>
internal sealed class DownstreamRefusals(ProxyMetrics metrics, ILogger logger, TimeProvider time)
{
    private const int LinesPerWindow = 5;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly LogRateLimit _limit = new(time, LinesPerWindow, Window);

    public void Refuse(string listener, int port, string reason, System.Net.EndPoint? remote, string detail)
    {
        metrics.RecordRefusal(listener, reason);
        if (!_limit.TryAcquire(reason, out var suppressed)) return;
        if (suppressed == 0) ProxyLog.DownstreamRefused(logger, listener, port, remote?.ToString(), reason, detail);
        else ProxyLog.DownstreamRefusedAfterSuppressed(logger, listener, port, remote?.ToString(), reason, detail, suppressed);
    }
}
