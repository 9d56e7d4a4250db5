namespace Meshwork.Policy;

/// <summary>How VirtualService and DestinationRule hosts read: a short name is relative to the resource's namespace, as Istio reads it.</summary>
public static class RouteHosts
{
    public static string Fqdn(string host, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(host);
        host = host.TrimEnd('.').ToLowerInvariant();
        if (host.EndsWith(".svc.cluster.local", StringComparison.Ordinal) || host.StartsWith('*')) return host;
        var dots = host.Count(c => c == '.');
        return dots switch
        {
            0 => $"{host}.{@namespace}.svc.cluster.local",
            1 => $"{host}.svc.cluster.local",
            _ when host.EndsWith(".svc", StringComparison.Ordinal) => $"{host}.cluster.local",
            _ => host,
        };
    }
}
