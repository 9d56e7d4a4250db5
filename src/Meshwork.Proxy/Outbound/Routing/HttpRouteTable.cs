using System.Collections.Frozen;
using System.Collections.Immutable;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>The VirtualService routes (http, and tcp for tunnelled connections) of a snapshot by service FQDN, compiled once when the snapshot arrives.</summary>
internal sealed class HttpRouteTable
{
    public static readonly HttpRouteTable Empty = new(FrozenDictionary<string, CompiledRoute[]>.Empty, FrozenDictionary<string, CompiledTcpRoute[]>.Empty);

    private readonly FrozenDictionary<string, CompiledRoute[]> _byHost;
    private readonly FrozenDictionary<string, CompiledTcpRoute[]> _tcpByHost;

    private HttpRouteTable(FrozenDictionary<string, CompiledRoute[]> byHost, FrozenDictionary<string, CompiledTcpRoute[]> tcpByHost) =>
        (_byHost, _tcpByHost) = (byHost, tcpByHost);

    public bool IsEmpty => _byHost.Count == 0 && _tcpByHost.Count == 0;

    /// <summary>The tcp routes for a service, in order; null when no VirtualService has tcp routes for it.</summary>
    public CompiledTcpRoute[]? TcpFor(string fqdn) => _tcpByHost.GetValueOrDefault(fqdn);

    /// <summary>The routes for a service, in order; null when no VirtualService routes it (the Service itself is then the route).</summary>
    public CompiledRoute[]? For(string fqdn) => _byHost.GetValueOrDefault(fqdn);

    /// <summary>Compiles <paramref name="tables"/>; a pattern that does not compile is an error and the snapshot is refused.</summary>
    public static HttpRouteTable Create(ImmutableArray<VirtualHostRoutes> tables, List<string> errors)
    {
        if (tables.IsDefaultOrEmpty) return Empty;
        var byHost = new Dictionary<string, CompiledRoute[]>(StringComparer.OrdinalIgnoreCase);
        var tcpByHost = new Dictionary<string, CompiledTcpRoute[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var table in tables)
        {
            if (table.Tcp is { IsDefaultOrEmpty: false } tcp)
            {
                CompiledTcpRoute[] tcpRoutes = [.. tcp.Select(r => new CompiledTcpRoute(r, table.Source))];
                foreach (var host in table.Hosts.IsDefault ? [] : table.Hosts) tcpByHost.TryAdd(host.TrimEnd('.'), tcpRoutes);
                // A VirtualService with tcp routes only leaves HTTP requests to the Service itself, as Istio's HTTP route table has no entry for it.
                if (table.Routes.IsDefaultOrEmpty) continue;
            }
            CompiledRoute[] routes;
            try { routes = [.. (table.Routes.IsDefault ? [] : table.Routes).Select(r => new CompiledRoute(r, table.Source))]; }
            catch (ArgumentException e)
            {
                errors.Add($"{table.Source}: a route pattern does not compile: {e.Message}");
                continue;
            }
            foreach (var host in table.Hosts.IsDefault ? [] : table.Hosts) byHost.TryAdd(host.TrimEnd('.'), routes);
        }
        return new HttpRouteTable(byHost.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), tcpByHost.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }
}
