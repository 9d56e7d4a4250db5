using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// One snapshot plus the lookups derived from it. Built off the hot path when a snapshot arrives,
/// then published with one reference swap; a connection reads it once and keeps it.
/// </summary>
internal sealed class ActiveConfig
{
    public ProxySnapshot Snapshot { get; }
    public FrozenDictionary<int, InboundPort> InboundByPort { get; }
    public ServiceRouter Router { get; }
    /// <summary>VirtualService routes by service host (sidecars: the mesh gateway's routes).</summary>
    public HttpRouteTable Routes { get; }
    /// <summary>Gateway listeners by port, with their hosts and routes (role Gateway).</summary>
    public Gateway.GatewayRouteTable GatewayRoutes { get; }
    /// <summary>Roots from the snapshot; null when the snapshot carries none (the cert dir's root-cert.pem is used).</summary>
    public TrustBundle? TrustBundle { get; }
    public FrozenSet<string> TrustDomains { get; }
    /// <summary>
    /// This workload's peer metadata field lines (Istio's metadata exchange), sent on every mTLS request to a
    /// mesh endpoint: derived from the snapshot's node once, not per request or per handler.
    /// </summary>
    public byte[] PeerFields { get; }

    private Capture.CaptureTable? _capture;

    /// <summary>
    /// Captured connections' original destinations (clusterIP:port, podIP:port) to service ports. Made when the first
    /// captured connection asks, once per snapshot: proxies without capture never pay for it.
    /// </summary>
    public Capture.CaptureTable Capture
        => _capture ?? Interlocked.CompareExchange(ref _capture, new Capture.CaptureTable(Router), null) ?? _capture;

    private ActiveConfig(ProxySnapshot snapshot, TrustBundle? bundle, string ownNamespace, HttpRouteTable routes, Gateway.GatewayRouteTable gatewayRoutes)
    {
        GatewayRoutes = gatewayRoutes;
        Snapshot = snapshot;
        InboundByPort = snapshot.Inbound.ToFrozenDictionary(p => p.Port);
        Router = new ServiceRouter(snapshot.Outbound, ownNamespace);
        Routes = routes;
        TrustBundle = bundle;
        TrustDomains = (snapshot.TrustDomains.IsDefaultOrEmpty ? ["cluster.local"] : snapshot.TrustDomains).ToFrozenSet(StringComparer.Ordinal);
        PeerFields = Forwarding.PeerMetadata.FieldLines(snapshot.Node);
    }

    /// <summary>Checks a snapshot and builds the derived lookups; on any problem returns null and every error found.</summary>
    public static ActiveConfig? TryCreate(ProxySnapshot snapshot, string ownNamespace, out string? error)
    {
        snapshot = Normalize(snapshot);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(snapshot.Version)) errors.Add("version is empty");
        var seen = new HashSet<int>();
        foreach (var port in snapshot.Inbound)
        {
            if (port.Port is <= 0 or > 65535) errors.Add($"inbound port {port.Port} is out of range");
            if (!seen.Add(port.Port)) errors.Add($"inbound port {port.Port} appears twice");
            if (port.Protocol is not ("http" or "tcp")) errors.Add($"inbound port {port.Port}: protocol '{port.Protocol}' is not http or tcp");
        }
        if (snapshot.InboundPassthrough is { Protocol: not ("http" or "tcp") } passthrough)
            errors.Add($"inbound passthrough: protocol '{passthrough.Protocol}' is not http or tcp");
        foreach (var service in snapshot.Outbound)
        {
            if (string.IsNullOrWhiteSpace(service.Hostname)) errors.Add($"outbound service {service.Namespace}/{service.Name} has no hostname");
            foreach (var p in service.Ports)
            {
                if (p.Port is <= 0 or > 65535) errors.Add($"outbound {service.Hostname}: port {p.Port} is out of range");
                foreach (var e in p.Endpoints)
                {
                    if (!System.Net.IPAddress.TryParse(e.Address, out _)) errors.Add($"outbound {service.Hostname}:{p.Port}: endpoint address '{e.Address}' is not an IP address");
                    if (e.Tls == UpstreamTlsMode.IstioMutual && p.AcceptedIdentities.IsDefaultOrEmpty)
                        errors.Add($"outbound {service.Hostname}:{p.Port}: endpoint {e.Address}:{e.Port} uses ISTIO_MUTUAL but the port lists no accepted identities");
                }
            }
        }
        TrustBundle? bundle = null;
        if (!snapshot.TrustBundle.IsDefaultOrEmpty)
        {
            try
            {
                var roots = new List<X509Certificate2>();
                foreach (var pem in snapshot.TrustBundle)
                {
                    var collection = new X509Certificate2Collection();
                    collection.ImportFromPem(pem);
                    if (collection.Count == 0) errors.Add("trust bundle entry holds no certificate");
                    roots.AddRange(collection);
                }
                bundle = new TrustBundle(roots);
            }
            catch (CryptographicException e) { errors.Add($"trust bundle is not valid PEM: {e.Message}"); }
        }
        if (snapshot.Node is null) errors.Add("node is missing");
        var routes = HttpRouteTable.Create(snapshot.HttpRoutes, errors);
        var gatewayRoutes = Gateway.GatewayRouteTable.Create(snapshot.Gateways, errors);
        if (errors.Count > 0) { error = string.Join("; ", errors); return null; }
        error = null;
        return new ActiveConfig(snapshot, bundle, ownNamespace, routes, gatewayRoutes);
    }

    /// <summary>JSON that leaves a list out yields a default ImmutableArray; make every list a real (possibly empty) one.</summary>
    internal static ProxySnapshot Normalize(ProxySnapshot s)
    {
        static ImmutableArray<T> N<T>(ImmutableArray<T> a) => a.IsDefault ? [] : a;
        // A snapshot from the control plane has every list: keep it as it is rather than copy every
        // record of a large one (transient heap the sidecar's limit may not have).
        if (IsNormal(s)) return s;
        return s with
        {
            Inbound = [.. N(s.Inbound).Select(p => p with { Authorization = N(p.Authorization), Services = N(p.Services) })],
            Outbound = [.. N(s.Outbound).Select(o => o with
            {
                Ports = [.. N(o.Ports).Select(p => p with { Endpoints = N(p.Endpoints), AcceptedIdentities = N(p.AcceptedIdentities) })],
            })],
            TrustBundle = N(s.TrustBundle),
            TrustDomains = N(s.TrustDomains),
            Gateways = [.. N(s.Gateways).Select(g => g with
            {
                Hosts = N(g.Hosts), VirtualHosts = N(g.VirtualHosts), HttpsRedirectHosts = N(g.HttpsRedirectHosts),
                TlsServers = [.. N(g.TlsServers).Select(t => t with { Hosts = N(t.Hosts) })],
            })],
            InboundPassthrough = s.InboundPassthrough is { } p ? p with { Authorization = N(p.Authorization), Services = N(p.Services) } : null,
        };
    }

    private static bool IsNormal(ProxySnapshot s) =>
        !s.Inbound.IsDefault && s.Inbound.All(p => !p.Authorization.IsDefault && !p.Services.IsDefault)
        && !s.Outbound.IsDefault && s.Outbound.All(o => !o.Ports.IsDefault && o.Ports.All(p => !p.Endpoints.IsDefault && !p.AcceptedIdentities.IsDefault))
        && !s.TrustBundle.IsDefault && !s.TrustDomains.IsDefault
        && !s.Gateways.IsDefault && s.Gateways.All(g => !g.Hosts.IsDefault && !g.VirtualHosts.IsDefault && !g.HttpsRedirectHosts.IsDefault
            && !g.TlsServers.IsDefault && g.TlsServers.All(t => !t.Hosts.IsDefault))
        && (s.InboundPassthrough is null || (!s.InboundPassthrough.Authorization.IsDefault && !s.InboundPassthrough.Services.IsDefault));
}
