using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Protection;

/// <summary>
/// Why the proxy refused a downstream connection or request before it reached anything behind it: the reason label of
/// meshwork_refused_connections_total and of the refusal's log line.
/// </summary>
internal static class RefusalReason
{
    public const string ConnectionLimit = "connection_limit";
    public const string PendingLimit = "pending_limit";
    public const string RequestHeadersTimeout = "request_headers_timeout";
    public const string MalformedRequest = "malformed_request";
    /// <summary>Plaintext on a port whose effective mTLS mode is STRICT.</summary>
    public const string PlaintextOnStrict = "plaintext_on_strict";
    /// <summary>A TLS ClientHello on a port whose mode is DISABLE.</summary>
    public const string TlsOnDisable = "tls_on_disable";
    /// <summary>A port the snapshot does not list (or no snapshot yet).</summary>
    public const string UnknownPort = "unknown_port";
    /// <summary>This sidecar has no workload certificate yet.</summary>
    public const string NoCertificate = "no_certificate";
    /// <summary>Prefix of a failed mTLS handshake's reason ("tls_untrusted_chain", "tls_no_client_certificate", …).</summary>
    public const string HandshakePrefix = "tls_";
}

/// <summary>
/// One place for every refusal of a downstream client: it is counted by reason and source address
/// (<see cref="RefusedConnections"/>, meshwork_refused_connections_total, which the dashboard's refused edges read) and
/// logged, at most a few lines per reason every ten seconds, each saying how many like it were not logged.
/// </summary>
internal sealed class DownstreamRefusals(ProxyMetrics metrics, ProxyState state, ILogger logger)
{
    private const int LinesPerWindow = 5;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly LogRateLimit _limit = new(state.Time, LinesPerWindow, Window);

    /// <summary>Counts and logs one refusal on <paramref name="listener"/>'s <paramref name="port"/> (the workload port, inbound).</summary>
    public void Refuse(string listener, int port, string reason, System.Net.EndPoint? remote, string detail)
    {
        var node = state.Config?.Snapshot.Node;
        metrics.Refused.Record(reason, (remote as System.Net.IPEndPoint)?.Address, node?.Workload ?? MetricLabels.Unknown, node?.Namespace ?? MetricLabels.Unknown, port);
        if (!_limit.TryAcquire(reason, out var suppressed)) return;
        if (suppressed == 0) ProxyLog.DownstreamRefused(logger, listener, port, remote?.ToString(), reason, detail);
        else ProxyLog.DownstreamRefusedAfterSuppressed(logger, listener, port, remote?.ToString(), reason, detail, suppressed);
    }
}
