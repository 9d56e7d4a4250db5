using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy;

/// <summary>What a client sidecar does towards one endpoint of a service port.</summary>
/// <param name="Source">"auto" or "DestinationRule ns/name".</param>
public sealed record ClientTlsDecision(UpstreamTlsMode Mode, string Source, string? Sni, ImmutableArray<Reason> Reasons)
{
    public const string Auto = "auto";
}

public static class ClientTls
{
    /// <summary>
    /// DestinationRule lookup (client ns, service ns, root ns; exportTo; portLevelSettings) with an explicit
    /// tls mode applied to every endpoint; otherwise auto mTLS (ISTIO-SEMANTICS §2.3): mTLS only to endpoints
    /// that have a sidecar and whose own port mode is not DISABLE, unless auto mTLS is off or the server's
    /// namespace/mesh mode is DISABLE.
    /// </summary>
    public static ClientTlsDecision Decide(MeshState mesh, string clientNamespace, ServiceTarget target, Workload endpoint, int endpointPort)
        => Decide(mesh, clientNamespace, target, endpoint, endpointPort, subset: null);

    /// <summary>As <see cref="Decide(MeshState, string, ServiceTarget, Workload, int)"/>, for traffic a VirtualService routes to a subset.</summary>
    public static ClientTlsDecision Decide(MeshState mesh, string clientNamespace, ServiceTarget target, Workload endpoint, int endpointPort, string? subset)
        => Decide(mesh, clientNamespace, target, endpoint, endpointPort, subset, explain: true);

    /// <summary>
    /// The same decision; with <paramref name="explain"/> false its <see cref="ClientTlsDecision.Reasons"/> are empty and never
    /// written. Generation decides once per endpoint of every Service for every client namespace (10,000 Services: 100,000
    /// decisions per change in ten namespaces) and keeps only the mode, the source and the SNI.
    /// </summary>
    public static ClientTlsDecision Decide(MeshState mesh, string clientNamespace, ServiceTarget target, Workload endpoint, int endpointPort, string? subset, bool explain)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(endpoint);
        // Null when not explaining: "reasons?.Add(...)" then skips building the sentence as well.
        var reasons = explain ? ImmutableArray.CreateBuilder<Reason>() : null;
        var defaultSni = string.Create(CultureInfo.InvariantCulture, $"outbound_.{target.Port.Port}_.{subset}_.{target.Hostname}");

        var (rule, notes) = DestinationRuleLookup.Lookup(mesh, clientNamespace, target);
        if (rule is null) reasons?.AddRange(notes);
        if (rule is not null)
        {
            reasons?.AddRange(rule.Reasons);
            var resolved = DestinationRuleLookup.ResolveTls(rule, target.Port.Port, subset);
            if (resolved.Tls is { } tls)
            {
                var mode = ToUpstream(tls.Mode);
                reasons?.Add(new Reason(
                    $"DestinationRule {rule.Name} sets tls mode {Text(mode)} ({resolved.Field}); an explicit mode applies to every endpoint, with or without a sidecar, and turns auto mTLS off.",
                    rule.Rule.Ref, resolved.Field + ".mode"));
                var sni = tls.Sni ?? (mode == UpstreamTlsMode.IstioMutual ? defaultSni : null);
                return new ClientTlsDecision(mode, $"DestinationRule {rule.Name}", sni, Reason.Gathered(reasons));
            }
            reasons?.Add(new Reason($"DestinationRule {rule.Name} sets no tls for port {target.Port.Port} ({resolved.Field}), so auto mTLS decides.", rule.Rule.Ref, resolved.Field));
        }
        else
        {
            reasons?.Add(new Reason($"No DestinationRule for {target.Hostname} is visible from namespace {clientNamespace}, so auto mTLS decides."));
        }

        if (!mesh.Mesh.EnableAutoMtls)
        {
            reasons?.Add(new Reason("Auto mTLS is off (meshConfig enableAutoMtls: false), so the client sends plaintext.", "ConfigMap/" + mesh.Mesh.RootNamespace + "/istio", "data.mesh.enableAutoMtls"));
            return new ClientTlsDecision(UpstreamTlsMode.Disable, ClientTlsDecision.Auto, null, Reason.Gathered(reasons));
        }
        var namespaceLevel = InboundMtls.NamespaceLevel(mesh, endpoint.Namespace, explain);
        if (namespaceLevel.Mode == InboundTlsMode.Disable)
        {
            reasons?.Add(new Reason($"The server namespace {endpoint.Namespace} is DISABLE at namespace/mesh level ({namespaceLevel.Source}); auto mTLS then sends plaintext to every endpoint, whatever its workload policy says."));
            return new ClientTlsDecision(UpstreamTlsMode.Disable, ClientTlsDecision.Auto, null, Reason.Gathered(reasons));
        }
        if (!endpoint.HasSidecar)
        {
            reasons?.Add(new Reason($"Auto mTLS: endpoint {endpoint.Ref} has no sidecar, so the client sends plaintext."));
            return new ClientTlsDecision(UpstreamTlsMode.Disable, ClientTlsDecision.Auto, null, Reason.Gathered(reasons));
        }
        var endpointMode = InboundMtls.Effective(mesh, endpoint, endpointPort, explain);
        if (endpointMode.Mode == InboundTlsMode.Disable)
        {
            reasons?.Add(new Reason($"Auto mTLS: endpoint {endpoint.Ref} port {endpointPort} is DISABLE ({endpointMode.Source}), so the client sends plaintext."));
            return new ClientTlsDecision(UpstreamTlsMode.Disable, ClientTlsDecision.Auto, null, Reason.Gathered(reasons));
        }
        reasons?.Add(new Reason($"Auto mTLS: endpoint {endpoint.Ref} has a sidecar and port {endpointPort} accepts mTLS ({InboundMtls.Text(endpointMode.Mode)}), so the client uses ISTIO_MUTUAL."));
        return new ClientTlsDecision(UpstreamTlsMode.IstioMutual, ClientTlsDecision.Auto, defaultSni, Reason.Gathered(reasons));
    }

    public static UpstreamTlsMode ToUpstream(ClientTlsMode mode) => mode switch
    {
        ClientTlsMode.Simple => UpstreamTlsMode.Simple,
        ClientTlsMode.Mutual => UpstreamTlsMode.Mutual,
        ClientTlsMode.IstioMutual => UpstreamTlsMode.IstioMutual,
        _ => UpstreamTlsMode.Disable,
    };

    /// <summary>Istio's spelling: DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL.</summary>
    public static string Text(UpstreamTlsMode mode) => mode switch
    {
        UpstreamTlsMode.Simple => "SIMPLE",
        UpstreamTlsMode.Mutual => "MUTUAL",
        UpstreamTlsMode.IstioMutual => "ISTIO_MUTUAL",
        _ => "DISABLE",
    };
}
