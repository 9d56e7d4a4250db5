using System.Collections.Immutable;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.LoadBalancing;

/// <summary>
/// Round robin over the ready endpoints of one service port, skipping endpoints that failed to
/// connect recently (passive health check, as Envoy's outlier detection does for connect failures).
/// </summary>
internal sealed class EndpointPicker
{
    /// <summary>How long an endpoint that refused a connection is skipped.</summary>
    internal static readonly TimeSpan EjectionTime = TimeSpan.FromSeconds(5);

    private readonly ImmutableArray<UpstreamEndpoint> _endpoints;
    private readonly long[] _ejectedUntil;
    private int _next = -1;

    public EndpointPicker(ImmutableArray<UpstreamEndpoint> endpoints)
    {
        _endpoints = endpoints.IsDefault ? [] : [.. endpoints.Where(e => e.Ready)];
        _ejectedUntil = new long[_endpoints.Length];
    }

    public int Count => _endpoints.Length;

    /// <summary>Next endpoint in turn, preferring healthy ones; null when the port has no ready endpoint.
    /// <paramref name="exclude"/> lists endpoints already tried for this request.</summary>
    public UpstreamEndpoint? Pick(IReadOnlyCollection<UpstreamEndpoint>? exclude = null)
    {
        var count = _endpoints.Length;
        if (count == 0) return null;
        var now = Environment.TickCount64;
        UpstreamEndpoint? fallback = null;
        for (var i = 0; i < count; i++)
        {
            var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
            var candidate = _endpoints[index];
            if (exclude is not null && exclude.Contains(candidate)) continue;
            if (Volatile.Read(ref _ejectedUntil[index]) > now) { fallback ??= candidate; continue; }
            return candidate;
        }
        // Every endpoint is ejected: try one anyway rather than fail without trying (Envoy's panic threshold).
        return fallback;
    }

    public void ReportConnectFailure(UpstreamEndpoint endpoint)
    {
        var index = _endpoints.IndexOf(endpoint);
        if (index >= 0) Volatile.Write(ref _ejectedUntil[index], Environment.TickCount64 + (long)EjectionTime.TotalMilliseconds);
    }

    public void ReportSuccess(UpstreamEndpoint endpoint)
    {
        var index = _endpoints.IndexOf(endpoint);
        if (index >= 0) Volatile.Write(ref _ejectedUntil[index], 0);
    }
}
