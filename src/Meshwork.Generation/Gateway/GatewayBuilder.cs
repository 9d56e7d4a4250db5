using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Gateway;

/// <summary>
/// Listeners of an ingress gateway: the servers of every Gateway whose selector matches the
/// gateway proxy's labels (in any namespace, as Istio does by default), with the HTTP routes of the
/// VirtualServices bound to those Gateways by "name" (same namespace) or "namespace/name".
/// </summary>
internal static class GatewayBuilder
{
    public static ImmutableArray<GatewayListener> Build(ProxyRegistration proxy, MeshState mesh)
    {
        var selected = mesh.Gateways
            .Where(g => g.Metadata.Namespace is not null && new LabelSelector(g.Spec.Selector).Matches(proxy.Labels))
            .ToList();

        var listeners = new SortedDictionary<int, (string Protocol, SortedSet<string> Hosts, List<GatewayRoute> Routes)>();
        // Two servers of one Gateway on one port share the routes; add them once.
        var routed = new HashSet<(string Gateway, int Port)>();
        foreach (var gateway in selected)
        {
            var bound = mesh.VirtualServices.Where(vs => IsBoundTo(vs, gateway)).ToList();
            foreach (var server in gateway.Spec.Servers)
            {
                var number = server.Port.Number;
                if (!listeners.TryGetValue(number, out var listener))
                {
                    listener = (server.Port.Protocol.ToLowerInvariant(), new SortedSet<string>(StringComparer.Ordinal), []);
                    listeners[number] = listener;
                }
                foreach (var host in server.Hosts) listener.Hosts.Add(StripNamespace(host));
                if (!routed.Add((gateway.Ref, number))) continue;
                foreach (var vs in bound)
                {
                    listener.Routes.AddRange(Routes(mesh, gateway, vs, number));
                }
            }
        }

        return [.. listeners.Select(l => new GatewayListener
        {
            Port = l.Key,
            Protocol = l.Value.Protocol,
            Hosts = [.. l.Value.Hosts],
            Routes = [.. l.Value.Routes],
        })];
    }

    /// <summary>Gateway hosts may be written "namespace/host" to limit which VirtualServices bind; the listener serves the host part.</summary>
    private static string StripNamespace(string host)
    {
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? host : host[(slash + 1)..];
    }

    private static bool IsBoundTo(VirtualService vs, Model.Resources.Gateway gateway)
    {
        var full = $"{gateway.Metadata.Namespace}/{gateway.Metadata.Name}";
        return vs.Spec.Gateways.Any(g => g == full || (g == gateway.Metadata.Name && vs.Metadata.Namespace == gateway.Metadata.Namespace));
    }

    private static bool MatchApplies(HttpMatch match, Model.Resources.Gateway gateway, VirtualService vs, int listenerPort)
    {
        if (match.Port is int port && port != listenerPort) return false;
        return match.Gateways.IsEmpty || IsBoundTo(vs with { Spec = vs.Spec with { Gateways = match.Gateways } }, gateway);
    }

    private static IEnumerable<GatewayRoute> Routes(MeshState mesh, Model.Resources.Gateway gateway, VirtualService vs, int listenerPort)
    {
        ImmutableArray<string> hosts = vs.Spec.Hosts.IsEmpty ? ["*"] : vs.Spec.Hosts;
        foreach (var http in vs.Spec.Http)
        {
            var destination = http.Route.OrderByDescending(r => r.Weight).Select(r => r.Destination).FirstOrDefault();
            if (destination is null) continue;
            var host = RouteHosts.Fqdn(destination.Host, vs.Metadata.Namespace ?? "default");
            var port = destination.Port ?? DefaultPort(mesh, host);

            if (http.Match.IsEmpty)
            {
                yield return new GatewayRoute { Hosts = hosts, DestinationHost = host, DestinationPort = port };
                continue;
            }
            foreach (var match in http.Match)
            {
                if (!MatchApplies(match, gateway, vs, listenerPort)) continue;
                yield return new GatewayRoute { Hosts = hosts, PathPrefix = PathPrefix(match.Uri), DestinationHost = host, DestinationPort = port };
            }
        }
    }

    /// <summary>"prefix:/a" and "exact:/a" route by that path; a regex match cannot be expressed on the wire and routes by host only.</summary>
    private static string? PathPrefix(string? uri)
    {
        if (uri is null) return null;
        foreach (var kind in (ReadOnlySpan<string>)["prefix:", "exact:"])
        {
            if (uri.StartsWith(kind, StringComparison.Ordinal)) return uri[kind.Length..];
        }
        return uri.StartsWith('/') ? uri : null;
    }

    /// <summary>Without a destination port, the Service's only (or first) port.</summary>
    private static int DefaultPort(MeshState mesh, string fqdn)
    {
        var service = mesh.Services.FirstOrDefault(s => WorkloadNames.Hostname(s) == fqdn);
        return service?.Spec.Ports.OrderBy(p => p.Port).Select(p => p.Port).FirstOrDefault() is int p and > 0 ? p : 80;
    }
}
