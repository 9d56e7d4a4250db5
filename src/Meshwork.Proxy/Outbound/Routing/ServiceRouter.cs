using System.Collections.Frozen;
using System.Collections.Immutable;
using Meshwork.Proxy.Outbound.LoadBalancing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>A resolved destination: the service, the port and the endpoint picker for that port.</summary>
internal sealed record RouteTarget(OutboundService Service, OutboundPort Port, EndpointPicker Picker)
{
    public string Authority => $"{Service.Hostname}:{Port.Port}";

    private System.Collections.Concurrent.ConcurrentDictionary<object, Metrics.LabelsHandle>? _labels;

    /// <summary>Interned metric labels per endpoint (by reference: endpoints are fixed for this config), so requests do not rebuild them.
    /// Made on first use: a snapshot of 10,000 services would otherwise hold 10,000 empty dictionaries (5 MiB).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<object, Metrics.LabelsHandle> Labels
        => _labels ?? Interlocked.CompareExchange(ref _labels, new(ReferenceEqualityComparer.Instance), null) ?? _labels;
}

/// <summary>
/// Resolves a host as cluster DNS would from the proxy's namespace: "name" (own namespace),
/// "name.ns", "name.ns.svc", "name.ns.svc.cluster.local", or any other hostname a service declares.
/// </summary>
internal sealed class ServiceRouter
{
    /// <summary>Every name of a service, with the key of its targets (its FQDN in lower case, made once per snapshot, not per request).</summary>
    private readonly FrozenDictionary<string, NamedService> _byName;
    private readonly FrozenDictionary<(string Host, int Port, string Subset), RouteTarget> _subsets;

    public ImmutableArray<OutboundService> Services { get; }

    public ServiceRouter(ImmutableArray<OutboundService> services, string ownNamespace)
    {
        Services = services.IsDefault ? [] : services;
        var names = new Dictionary<string, NamedService>(StringComparer.OrdinalIgnoreCase);
        var targets = new Dictionary<(string, int), RouteTarget>();
        var subsets = new Dictionary<(string, int, string), RouteTarget>();
        foreach (var service in Services)
        {
            var fqdn = service.Hostname.TrimEnd('.').ToLowerInvariant();
            var named = new NamedService(service, fqdn);
            names.TryAdd(fqdn, named);
            var name = service.Name.ToLowerInvariant();
            var ns = service.Namespace.ToLowerInvariant();
            names.TryAdd($"{name}.{ns}.svc.cluster.local", named);
            names.TryAdd($"{name}.{ns}.svc", named);
            names.TryAdd($"{name}.{ns}", named);
            if (string.Equals(ns, ownNamespace, StringComparison.OrdinalIgnoreCase)) names[name] = named;
            foreach (var port in service.Ports)
            {
                targets[(fqdn, port.Port)] = new RouteTarget(service, port, new EndpointPicker(port.Endpoints));
                // A subset is the same service port narrowed to its pods, with the TLS decided for them.
                foreach (var subset in port.Subsets.IsDefault ? [] : port.Subsets)
                {
                    var narrowed = port with
                    {
                        Endpoints = subset.Endpoints.IsDefault ? [] : subset.Endpoints,
                        AcceptedIdentities = subset.AcceptedIdentities.IsDefault ? [] : subset.AcceptedIdentities,
                        TlsSource = subset.TlsSource,
                        Sni = subset.Sni,
                        Subsets = [],
                    };
                    subsets[(fqdn, port.Port, subset.Name)] = new RouteTarget(service, narrowed, new EndpointPicker(narrowed.Endpoints));
                }
            }
        }
        // Each name carries its service's port targets: a request's lookup is one frozen string lookup and a scan of
        // a few ports, not a second hash of a (string, int) tuple (Marvin over the host on every request).
        var portsByKey = targets.GroupBy(t => t.Key.Item1).ToDictionary(g => g.Key, g => g.Select(t => t.Value).ToArray());
        _byName = names.ToFrozenDictionary(n => n.Key, n => n.Value with { Targets = portsByKey.GetValueOrDefault(n.Value.Key, []) },
            StringComparer.OrdinalIgnoreCase);
        _subsets = subsets.ToFrozenDictionary();
    }

    /// <summary>The service a host names, as cluster DNS resolves it from this proxy's namespace.</summary>
    public bool TryResolveService(string host, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out OutboundService? service)
    {
        service = _byName.TryGetValue(host.TrimEnd('.'), out var named) ? named.Service : null;
        return service is not null;
    }

    /// <summary>A service, the key of its targets (its FQDN without the root dot, in lower case) and its port targets.</summary>
    private readonly record struct NamedService(OutboundService Service, string Key)
    {
        public RouteTarget[] Targets { get; init; } = [];

        public RouteTarget? Port(int port)
        {
            foreach (var target in Targets)
                if (target.Port.Port == port) return target;
            return null;
        }
    }

    /// <summary>
    /// The target of a route destination: service FQDN, port (0: <paramref name="calledPort"/> when the service has it,
    /// else its only port) and subset. On failure <paramref name="error"/> says what was missing.
    /// </summary>
    public bool TryDestination(string fqdn, int port, string? subset, int calledPort, out RouteTarget? target, out string? error)
    {
        target = null;
        if (!_byName.TryGetValue(fqdn, out var named))
        {
            error = $"the route's destination {fqdn} is not a known service";
            return false;
        }
        var (service, key) = named;
        if (port == 0) port = named.Port(calledPort) is not null || service.Ports.Length != 1 ? calledPort : service.Ports[0].Port;
        target = subset is null ? named.Port(port) : _subsets.GetValueOrDefault((key, port, subset));
        if (target is not null)
        {
            error = null;
            return true;
        }
        error = subset is null || named.Port(port) is null
            ? $"service {service.Hostname} has no port {port}"
            : $"no DestinationRule subset '{subset}' is defined for {service.Hostname}";
        return false;
    }

    /// <summary>Finds the service port for host:port; on failure <paramref name="error"/> says what was missing.</summary>
    public bool TryResolve(string host, int port, out RouteTarget? target, out string? error)
    {
        host = host.TrimEnd('.');
        if (!_byName.TryGetValue(host, out var named))
        {
            target = null;
            error = $"no service is known by the name '{host}' (names are resolved from this proxy's namespace: name, name.namespace, name.namespace.svc.cluster.local)";
            return false;
        }
        target = named.Port(port);
        if (target is null)
        {
            var service = named.Service;
            error = $"service {service.Hostname} has no port {port} (ports: {string.Join(", ", service.Ports.Select(p => p.Port))})";
            return false;
        }
        error = null;
        return true;
    }
}
