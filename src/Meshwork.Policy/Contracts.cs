using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy;

/// <summary>One step of "why": a sentence a user can act on, and the resource and field behind it.</summary>
public sealed record Reason(string Sentence, string? Resource = null, string? Field = null);

/// <summary>A workload as policy sees it: a Deployment's pod template, or a running Pod.</summary>
public sealed record Workload
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public string ServiceAccount { get; init; } = "default";
    public bool HasSidecar { get; init; }
    /// <summary>Declared container ports.</summary>
    public ImmutableArray<int> Ports { get; init; } = [];

    /// <summary>Sidecar when the pod annotation sidecar.istio.io/inject says so, else the namespace label istio-injection=enabled.</summary>
    public static Workload FromDeployment(Deployment deployment, MeshState mesh) => throw new NotImplementedException();

    /// <summary>A running pod; HasSidecar from its label security.istio.io/tlsMode=istio (set at injection).</summary>
    public static Workload FromPod(Pod pod) => throw new NotImplementedException();
}

/// <summary>The effective inbound mTLS mode of one workload port, and which resource decided it.</summary>
public sealed record MtlsDecision(InboundTlsMode Mode, string Source, ImmutableArray<Reason> Reasons);

public static class InboundMtls
{
    /// <summary>Istio's ComposePeerAuthentication: mesh &lt; namespace &lt; workload &lt; portLevelMtls; UNSET inherits; default PERMISSIVE.</summary>
    public static MtlsDecision Effective(MeshState mesh, Workload workload, int port) => throw new NotImplementedException();
}

/// <summary>A Service and one of its ports, found from a host name the way Kubernetes DNS resolves it.</summary>
public sealed record ServiceTarget(Service Service, ServicePort Port)
{
    public string Hostname => $"{Service.Metadata.Name}.{Service.Metadata.Namespace}.svc.cluster.local";
}

public static class ServiceResolver
{
    /// <summary>Resolves name, name.ns, name.ns.svc, name.ns.svc.cluster.local (relative to the client's namespace) and a port.</summary>
    public static ServiceTarget? Resolve(MeshState mesh, string clientNamespace, string host, int port) => throw new NotImplementedException();

    /// <summary>The workloads (pods, or deployments offline) a Service selects, with the container port its port targets.</summary>
    public static ImmutableArray<(Workload Workload, int TargetPort)> Endpoints(MeshState mesh, ServiceTarget target) => throw new NotImplementedException();
}

/// <summary>What a client sidecar does towards one endpoint of a service port.</summary>
public sealed record ClientTlsDecision(UpstreamTlsMode Mode, string Source, string? Sni, ImmutableArray<Reason> Reasons);

public static class ClientTls
{
    /// <summary>
    /// DestinationRule lookup (client ns, service ns, root ns; exportTo; portLevelSettings) with an explicit
    /// tls mode applied to every endpoint; otherwise auto mTLS (ISTIO-SEMANTICS §2.3): mTLS only to endpoints
    /// that have a sidecar and whose own port mode is not DISABLE, unless auto mTLS is off or the server's
    /// namespace/mesh mode is DISABLE.
    /// </summary>
    public static ClientTlsDecision Decide(MeshState mesh, string clientNamespace, ServiceTarget target, Workload endpoint, int endpointPort)
        => throw new NotImplementedException();
}

public static class SecureNaming
{
    /// <summary>spiffe:// IDs a client accepts from the service's endpoints (service accounts, expanded with trust-domain aliases), or the DR's subjectAltNames.</summary>
    public static ImmutableArray<string> AcceptedIdentities(MeshState mesh, string clientNamespace, ServiceTarget target)
        => throw new NotImplementedException();
}

public static class AuthorizationResolver
{
    /// <summary>
    /// The policies that apply to <paramref name="workload"/> (its namespace and the root namespace, selector matched),
    /// in wire form for one port; for a TCP port, ALLOW rules with HTTP-only fields are dropped and DENY/AUDIT rules
    /// lose their HTTP-only conditions (ISTIO-SEMANTICS §4.6). CUSTOM policies are kept (the proxy denies: unsupported).
    /// </summary>
    public static ImmutableArray<AuthzPolicy> ForPort(MeshState mesh, Workload workload, int port, bool isHttp)
        => throw new NotImplementedException();
}
