using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// Keys the kept-alive connection pool by endpoint. Equality stays the record's (the same instance first, so a
/// request of one snapshot compares by reference); the hash covers only the address, port and TLS mode, with
/// FNV-1a over the address: the record's own hash runs Marvin over all seven of its strings, twice per request
/// (take and return). Endpoints come from the control plane, never from a request, so nothing can flood the hash.
/// </summary>
internal sealed class PooledEndpointComparer : IEqualityComparer<UpstreamEndpoint>
{
    public static readonly PooledEndpointComparer Instance = new();

    public bool Equals(UpstreamEndpoint? x, UpstreamEndpoint? y) => EqualityComparer<UpstreamEndpoint>.Default.Equals(x, y);

    public int GetHashCode(UpstreamEndpoint endpoint)
    {
        const uint prime = 16777619;
        var hash = (2166136261 ^ (uint)endpoint.Port) * prime;
        hash = (hash ^ (uint)endpoint.Tls) * prime;
        foreach (var c in endpoint.Address) hash = (hash ^ c) * prime;
        return (int)hash;
    }
}
