using System.Collections.Immutable;
using Meshwork.Generation.Routing;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Gateway;

/// <summary>
/// Listeners of an ingress gateway: the servers of every Gateway whose selector matches the gateway proxy's
/// labels (in any namespace, as Istio does by default), with the HTTP routes of the VirtualServices bound to
/// those Gateways by "name" (same namespace) or "namespace/name". A server host "ns/host" admits only
/// VirtualServices of namespace ns ("." the Gateway's own, "*" any).
/// </summary>
internal static class GatewayBuilder
{
    public static ImmutableArray<GatewayListener> Build(ProxyRegistration proxy, MeshState mesh)
    {
        var selected = mesh.Gateways
            .Where(g => g.Metadata.Namespace is not null && new LabelSelector(g.Spec.Selector).Matches(proxy.Labels))
            .OrderBy(g => g.Metadata.Namespace, StringComparer.Ordinal)
            .ThenBy(g => g.Metadata.Name, StringComparer.Ordinal)
            .ToList();

        var listeners = new SortedDictionary<int, (string Protocol, SortedSet<string> Hosts, List<VirtualHostRoutes> VirtualHosts, List<GatewayTlsServer> Tls, SortedSet<string> Redirects)>();
        // Two servers of one Gateway on one port share the routes; add them once.
        var routed = new HashSet<(string Gateway, int Port, string VirtualService)>();
        foreach (var gateway in selected)
        {
            var bound = mesh.VirtualServices
                .Where(vs => IsBoundTo(vs.Spec.Gateways, vs, gateway))
                .OrderBy(vs => vs.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
                .ThenBy(vs => vs.Metadata.Namespace, StringComparer.Ordinal)
                .ThenBy(vs => vs.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            // The gateway serves plaintext HTTP servers and HTTPS servers it terminates (SIMPLE, MUTUAL); TLS passthrough
            // and TCP servers get no listener (the proxy would refuse them).
            foreach (var server in gateway.Spec.Servers)
            {
                if (ListenerProtocol(server) is not { } protocol) continue;
                var number = server.Port.Number;
                if (!listeners.TryGetValue(number, out var listener))
                {
                    listener = (protocol, new SortedSet<string>(StringComparer.Ordinal), [], [], new SortedSet<string>(StringComparer.Ordinal));
                    listeners[number] = listener;
                }
                // One port is either plaintext or TLS: a server of the other kind on it conflicts, and Istio keeps the first.
                if (listener.Protocol != protocol) continue;
                foreach (var host in server.Hosts) listener.Hosts.Add(HostPart(host));
                if (protocol == "https") listener.Tls.Add(GatewayCredentials.Server(server, proxy.Namespace, mesh));
                else if (server.Tls?.HttpsRedirect == true) foreach (var host in server.Hosts) listener.Redirects.Add(HostPart(host));
                foreach (var vs in bound.Where(vs => server.Hosts.Any(h => AdmitsNamespace(h, gateway, vs))))
                {
                    if (!routed.Add((gateway.Ref, number, vs.Ref))) continue;
                    var ns = vs.Metadata.Namespace!;
                    var routes = vs.Spec.Http
                        .Select(r => HttpRouteConverter.Convert(r, ns, gateways => IsBoundTo(gateways, vs, gateway), fqdn => DefaultPort(mesh, fqdn)))
                        .OfType<HttpRouteRule>()
                        .Select(r => r with { Matches = [.. r.Matches.Where(m => m.Port is null || m.Port == number)] })
                        .ToImmutableArray();
                    ImmutableArray<string> hosts = vs.Spec.Hosts.IsEmpty ? ["*"] : [.. vs.Spec.Hosts.Select(h => h.ToLowerInvariant())];
                    listener.VirtualHosts.Add(new VirtualHostRoutes { Hosts = hosts, Routes = routes, Source = $"VirtualService {ns}/{vs.Metadata.Name}" });
                }
            }
        }

        return [.. listeners.Select(l => new GatewayListener
        {
            Port = l.Key,
            Protocol = l.Value.Protocol,
            Hosts = [.. l.Value.Hosts],
            VirtualHosts = [.. l.Value.VirtualHosts],
            TlsServers = [.. l.Value.Tls],
            HttpsRedirectHosts = [.. l.Value.Redirects],
        })];
    }

    /// <summary>"http" for a plaintext HTTP server, "https" for an HTTPS server the gateway terminates; null for what it does not serve.</summary>
    private static string? ListenerProtocol(GatewayServer server)
    {
        if (server.Port.Protocol.Equals("HTTP", StringComparison.OrdinalIgnoreCase)) return "http";
        return server.Port.Protocol.Equals("HTTPS", StringComparison.OrdinalIgnoreCase) && server.Tls?.Mode is "SIMPLE" or "MUTUAL" ? "https" : null;
    }

    /// <summary>Gateway hosts may be written "namespace/host" to limit which VirtualServices bind; the listener serves the host part.</summary>
    internal static string HostPart(string host)
    {
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        return (slash < 0 ? host : host[(slash + 1)..]).ToLowerInvariant();
    }

    /// <summary>"ns/host": only VirtualServices in ns ("." the Gateway's namespace, "*" any); a bare host admits any.</summary>
    private static bool AdmitsNamespace(string serverHost, Model.Resources.Gateway gateway, VirtualService vs)
    {
        var slash = serverHost.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return true;
        var ns = serverHost[..slash];
        return ns == "*" || ns == vs.Metadata.Namespace || (ns == "." && vs.Metadata.Namespace == gateway.Metadata.Namespace);
    }

    /// <summary>A gateways list names this Gateway as "namespace/name", or as "name" from the VirtualService's own namespace.</summary>
    private static bool IsBoundTo(ImmutableArray<string> gateways, VirtualService vs, Model.Resources.Gateway gateway)
    {
        var full = $"{gateway.Metadata.Namespace}/{gateway.Metadata.Name}";
        return gateways.Any(g => g == full || (g == gateway.Metadata.Name && vs.Metadata.Namespace == gateway.Metadata.Namespace));
    }

    /// <summary>Without a destination port, the Service's only (or first) port.</summary>
    private static int DefaultPort(MeshState mesh, string fqdn)
    {
        var service = mesh.Services.FirstOrDefault(s => WorkloadNames.Hostname(s) == fqdn);
        return service?.Spec.Ports.OrderBy(p => p.Port).Select(p => p.Port).FirstOrDefault() is int p and > 0 ? p : 80;
    }
}
