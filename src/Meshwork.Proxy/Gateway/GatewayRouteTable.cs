using System.Collections.Frozen;
using System.Collections.Immutable;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Gateway;

/// <summary>
/// An ingress gateway's listeners by Gateway port, compiled once per snapshot: which hosts the servers accept,
/// per VirtualService host pattern its routes, and on an HTTPS port the credential each server presents.
/// </summary>
internal sealed class GatewayRouteTable
{
    public static readonly GatewayRouteTable Empty = new(FrozenDictionary<int, Listener>.Empty);

    private readonly FrozenDictionary<int, Listener> _byPort;

    private GatewayRouteTable(FrozenDictionary<int, Listener> byPort) => _byPort = byPort;

    /// <summary>
    /// One port's servers: the host patterns they accept, the bound VirtualServices' routes by host pattern, the
    /// HTTPS servers' credentials (empty on a plaintext port) and the host patterns redirected to https.
    /// </summary>
    internal sealed record Listener(string[] Hosts, (string[] Hosts, CompiledRoute[] Routes)[] VirtualHosts, GatewayServerCredential[] TlsServers, string[] HttpsRedirectHosts);

    public static GatewayRouteTable Create(ImmutableArray<GatewayListener> listeners, List<string> errors)
    {
        if (listeners.IsDefaultOrEmpty) return Empty;
        var byPort = new Dictionary<int, Listener>();
        foreach (var listener in listeners)
        {
            if (listener.Port is <= 0 or > 65535) { errors.Add($"gateway listener port {listener.Port} is out of range"); continue; }
            if (listener.Protocol is not ("http" or "http2" or "https")) { errors.Add($"gateway listener {listener.Port}: protocol '{listener.Protocol}' is not served (HTTP and HTTPS only)"); continue; }
            if (listener.Protocol == "https" && listener.TlsServers.IsDefaultOrEmpty) { errors.Add($"gateway listener {listener.Port}: an HTTPS port has no TLS server"); continue; }
            var virtualHosts = new List<(string[], CompiledRoute[])>();
            foreach (var vh in listener.VirtualHosts.IsDefault ? [] : listener.VirtualHosts)
            {
                try { virtualHosts.Add(([.. vh.Hosts.Select(h => h.ToLowerInvariant())], [.. vh.Routes.Select(r => new CompiledRoute(r, vh.Source))])); }
                catch (ArgumentException e) { errors.Add($"gateway listener {listener.Port}, {vh.Source}: a route pattern does not compile: {e.Message}"); }
            }
            GatewayServerCredential[] tls = listener.Protocol == "https" ? [.. listener.TlsServers.Select(GatewayServerCredential.Compile)] : [];
            var redirects = listener.HttpsRedirectHosts.IsDefault ? [] : listener.HttpsRedirectHosts.Select(h => h.ToLowerInvariant()).ToArray();
            byPort[listener.Port] = new Listener([.. listener.Hosts.Select(h => h.ToLowerInvariant())], [.. virtualHosts], tls, redirects);
        }
        return new GatewayRouteTable(byPort.ToFrozenDictionary());
    }

    /// <summary>
    /// The routes for <paramref name="host"/> (no port) on Gateway port <paramref name="port"/>: null with the reason when no
    /// server accepts the host or no bound VirtualService names it. The most specific host pattern wins: exact, then the
    /// longest "*.suffix", then "*" (Envoy's virtual host order).
    /// </summary>
    public CompiledRoute[]? For(int port, string host, out string? error)
    {
        if (!_byPort.TryGetValue(port, out var listener))
        {
            error = $"no Gateway server listens on port {port}";
            return null;
        }
        if (!listener.Hosts.Any(pattern => HostMatches(pattern, host)))
        {
            error = $"no Gateway server on port {port} accepts the host '{host}' (hosts: {string.Join(", ", listener.Hosts)})";
            return null;
        }
        CompiledRoute[]? best = null;
        var bestScore = -1;
        foreach (var (hosts, routes) in listener.VirtualHosts)
        {
            foreach (var pattern in hosts)
            {
                if (!HostMatches(pattern, host)) continue;
                var score = Specificity(pattern);
                if (score > bestScore) { best = routes; bestScore = score; }
            }
        }
        error = best is null ? $"no VirtualService bound to the Gateway on port {port} routes the host '{host}'" : null;
        return best;
    }

    /// <summary>True when the port's servers are HTTPS: each connection is a TLS handshake first.</summary>
    public bool IsTls(int port) => _byPort.TryGetValue(port, out var listener) && listener.TlsServers.Length > 0;

    /// <summary>
    /// The HTTPS server whose credential answers a ClientHello naming <paramref name="serverName"/> (SNI, RFC 6066 §3)
    /// on <paramref name="port"/>: the most specific host pattern that matches, as Envoy orders filter chains by
    /// server name (exact, longest "*.suffix", then "*"). Without SNI only a "*" server answers. Null: no server does.
    /// </summary>
    public GatewayServerCredential? TlsServerFor(int port, string? serverName)
    {
        if (!_byPort.TryGetValue(port, out var listener)) return null;
        GatewayServerCredential? best = null;
        var bestScore = -1;
        foreach (var server in listener.TlsServers)
        {
            foreach (var pattern in server.Hosts)
            {
                if (string.IsNullOrEmpty(serverName) ? pattern != "*" : !HostMatches(pattern, serverName)) continue;
                var score = Specificity(pattern);
                if (score > bestScore) { best = server; bestScore = score; }
            }
        }
        return best;
    }

    /// <summary>True when a plaintext server with <c>tls.httpsRedirect</c> accepts <paramref name="host"/> on <paramref name="port"/>.</summary>
    public bool RedirectsToHttps(int port, string host) =>
        _byPort.TryGetValue(port, out var listener) && listener.HttpsRedirectHosts.Any(pattern => HostMatches(pattern, host));

    /// <summary>Envoy's virtual host (and server name) order: an exact name beats any wildcard, a longer "*.suffix" a shorter one, "*" last.</summary>
    private static int Specificity(string pattern) => pattern == "*" ? 0 : pattern.StartsWith('*') ? pattern.Length : int.MaxValue;

    /// <summary>Istio's host patterns: "*" any, "*.suffix" a name ending in ".suffix", else the exact name (case-insensitive).</summary>
    public static bool HostMatches(string pattern, string host)
    {
        if (pattern == "*") return true;
        if (pattern.StartsWith("*.", StringComparison.Ordinal)) return host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase) && host.Length > pattern.Length - 1;
        return string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
    }
}
