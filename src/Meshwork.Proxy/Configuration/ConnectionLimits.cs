using System.Globalization;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Proxy.Configuration;

/// <summary>
/// What one client may hold of a proxy: bounds that keep a flood of idle or slow connections from taking the
/// proxy's memory and file descriptors, so that everyone else keeps being served.
/// </summary>
/// <param name="MaxConnections">
/// Connections open at once per listener; the next one is reset at accept, before any byte is read.
/// Envoy sets no per-listener default (its overload manager's global limit is opt-in); 4096 keeps a
/// sidecar's descriptors bounded under a common 65536 limit across its few listeners.
/// </param>
/// <param name="MaxPending">
/// Inbound connections per port still before their first request (sniffing, TLS handshake, first head).
/// A client that opens connections and sends nothing, or starts handshakes it never finishes, holds at most
/// an eighth of this many from one address; past that, its new connections are reset until some finish or
/// time out, while clients from other addresses keep connecting.
/// </param>
/// <param name="RequestHeadersTimeout">
/// Envoy's request_headers_timeout semantics: the clock starts at a request head's first byte and stops at
/// its empty line; a head not complete by then is answered 408 and the connection closed. Envoy leaves it
/// off by default; Meshwork sets 10 s, the TLS handshake's own bound, since mesh clients are proxies that
/// write a head in one go and a slow head is an attack (slowloris), not a client.
/// </param>
/// <param name="IdleTimeout">
/// How long a kept-alive downstream connection (inbound or outbound, HTTP/1.1 or HTTP/2) may sit between
/// requests before the proxy closes it: Envoy's HTTP connection manager idle_timeout, whose default of 1 h
/// Istio keeps for sidecars. Each idle connection holds a descriptor and its buffers; together with
/// <see cref="MaxConnections"/> this bounds what idle clients can hold, and for how long.
/// </param>
public sealed record ConnectionLimits(int MaxConnections, int MaxPending, TimeSpan RequestHeadersTimeout, TimeSpan IdleTimeout)
{
    public static ConnectionLimits Default { get; } = new(4096, 1024, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));

    /// <summary>Reads the limits from the proxy's environment; a value that is not a positive number is an error.</summary>
    internal static ConnectionLimits Parse(Func<string, string?> get, List<string> errors)
    {
        var limits = Default;
        if (get(ProxyEnvironment.MaxConnections) is { } max)
            limits = limits with { MaxConnections = Positive(ProxyEnvironment.MaxConnections, max, limits.MaxConnections, errors) };
        if (get(ProxyEnvironment.MaxPendingConnections) is { } pending)
            limits = limits with { MaxPending = Positive(ProxyEnvironment.MaxPendingConnections, pending, limits.MaxPending, errors) };
        if (get(ProxyEnvironment.RequestHeadersTimeout) is { } timeout)
            limits = limits with { RequestHeadersTimeout = TimeSpan.FromSeconds(Positive(ProxyEnvironment.RequestHeadersTimeout, timeout, 10, errors)) };
        if (get(ProxyEnvironment.IdleTimeout) is { } idle)
            limits = limits with { IdleTimeout = TimeSpan.FromSeconds(Positive(ProxyEnvironment.IdleTimeout, idle, 3600, errors)) };
        return limits;
    }

    private static int Positive(string variable, string text, int fallback, List<string> errors)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0) return value;
        errors.Add($"{variable}: '{text}' is not a positive whole number");
        return fallback;
    }
}
