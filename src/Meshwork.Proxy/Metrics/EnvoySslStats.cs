using System.Globalization;
using System.Text;
using Meshwork.Proxy.MeshTls;

namespace Meshwork.Proxy.Metrics;

/// <summary>
/// The TLS handshake counters under Envoy's names, for the admin <c>/stats</c> page in Envoy's plain
/// "name: value" form, so that <c>curl localhost:15000/stats | grep ssl</c> reads as it does on an
/// Istio sidecar. Inbound handshakes are counted on Istio's inbound listener (<c>0.0.0.0_15006</c>);
/// outbound ones on the upstream cluster they were made for, under Envoy's cluster name
/// (<c>cluster.outbound|8000||httpbin.foo.svc.cluster.local.ssl.handshake</c>).
/// </summary>
internal static class EnvoySslStats
{
    private const string InboundPrefix = "listener.0.0.0.0_15006.ssl.";

    /// <summary>Envoy's ssl.* counters, always listed (at 0 too), as Envoy lists a TLS context's counters.</summary>
    private static readonly string[] Counters = ["connection_error", "fail_verify_error", "fail_verify_no_cert", "fail_verify_san", "handshake"];

    /// <summary>The Envoy counter a handshake outcome adds to (reason labels from <see cref="HandshakeFailureLabels"/>).</summary>
    internal static string CounterOf(string result, string reason) => result == "success" ? "handshake" : reason switch
    {
        "no_client_certificate" or "no_server_certificate" => "fail_verify_no_cert",
        "untrusted_chain" or "expired" or "not_yet_valid" or "not_spiffe" or "untrusted_trust_domain" => "fail_verify_error",
        "secure_naming" => "fail_verify_san",
        _ => "connection_error",
    };

    /// <summary>
    /// The inbound listener's counters, and those of every upstream cluster this proxy originated TLS towards (Envoy
    /// lists each TLS cluster's; a cluster never dialled over TLS has none here).
    /// </summary>
    public static void Write(StringBuilder o, ProxyMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(metrics);
        var totals = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var counter in Counters) totals[InboundPrefix + counter] = 0;
        foreach (var (direction, result, reason, count) in metrics.Handshakes())
        {
            if (direction == "inbound") totals[InboundPrefix + CounterOf(result, reason)] += count;
        }
        foreach (var (host, port, counter, count) in metrics.ClusterSsl())
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"cluster.outbound|{port}||{host}.ssl.");
            foreach (var listed in Counters) totals.TryAdd(prefix + listed, 0);
            totals[prefix + counter] += count;
        }
        foreach (var (name, value) in totals)
        {
            o.Append(name).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
