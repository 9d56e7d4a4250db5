using System.Collections.Frozen;
using System.Collections.Immutable;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>The VirtualService routes of a snapshot by service FQDN, compiled once when the snapshot arrives.</summary>
internal sealed class HttpRouteTable
{
    public static readonly HttpRouteTable Empty = new(FrozenDictionary<string, CompiledRoute[]>.Empty);

    private readonly FrozenDictionary<string, CompiledRoute[]> _byHost;

    private HttpRouteTable(FrozenDictionary<string, CompiledRoute[]> byHost) => _byHost = byHost;

    public bool IsEmpty => _byHost.Count == 0;

    /// <summary>The routes for a service, in order; null when no VirtualService routes it (the Service itself is then the route).</summary>
    public CompiledRoute[]? For(string fqdn) => _byHost.GetValueOrDefault(fqdn);

    /// <summary>Compiles <paramref name="tables"/>; a pattern that does not compile is an error and the snapshot is refused.</summary>
    public static HttpRouteTable Create(ImmutableArray<VirtualHostRoutes> tables, List<string> errors)
    {
        if (tables.IsDefaultOrEmpty) return Empty;
        var byHost = new Dictionary<string, CompiledRoute[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var table in tables)
        {
            CompiledRoute[] routes;
            try { routes = [.. (table.Routes.IsDefault ? [] : table.Routes).Select(r => new CompiledRoute(r, table.Source))]; }
            catch (ArgumentException e)
            {
                errors.Add($"{table.Source}: a route pattern does not compile: {e.Message}");
                continue;
            }
            foreach (var host in table.Hosts.IsDefault ? [] : table.Hosts) byHost.TryAdd(host.TrimEnd('.'), routes);
        }
        return new HttpRouteTable(byHost.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }
}
