using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Meshwork.Model.Schema;

/// <summary>
/// What the API and the CLI need to know about a kind: its group and served versions (the first is
/// the preferred one), its REST plural, its short names and whether it lives in a namespace.
/// </summary>
public sealed record KindInfo(
    string Kind, string ApiGroup, ImmutableArray<string> Versions, string Plural, ImmutableArray<string> ShortNames, bool Namespaced)
{
    /// <summary>"v1" for the core group, else "group/version" with the preferred version.</summary>
    public string PreferredApiVersion => ApiVersionFor(Versions[0]);

    /// <summary>Every apiVersion string served for this kind.</summary>
    public IEnumerable<string> ApiVersions => Versions.Select(ApiVersionFor);

    public bool Serves(string apiVersion) => ApiVersions.Contains(apiVersion, StringComparer.Ordinal);

    /// <summary>"services", or "peerauthentications.security.istio.io" as kubectl names resources.</summary>
    public string FullyQualifiedPlural => ApiGroup.Length == 0 ? Plural : $"{Plural}.{ApiGroup}";

    /// <summary>The lower-case kind, as kubectl accepts it (<c>peerauthentication</c>).</summary>
    public string SingularName => Kind.ToLowerInvariant();

    /// <summary>
    /// Kubernetes' resource categories: <c>all</c> for the kinds <c>kubectl get all</c> lists, and
    /// Istio's <c>istio-io</c> plus the group's own category (<c>security-istio-io</c>) as its CRDs declare.
    /// </summary>
    public ImmutableArray<string> Categories { get; init; } = [];

    private string ApiVersionFor(string version) => ApiGroup.Length == 0 ? version : $"{ApiGroup}/{version}";
}

/// <summary>The kinds Meshwork reads, as their API servers serve them.</summary>
public static class KindRegistry
{
    private const string Security = "security.istio.io";
    private const string Networking = "networking.istio.io";

    public static ImmutableArray<KindInfo> All { get; } =
    [
        new("Namespace", "", ["v1"], "namespaces", ["ns"], Namespaced: false),
        new("ServiceAccount", "", ["v1"], "serviceaccounts", ["sa"], Namespaced: true),
        new("ConfigMap", "", ["v1"], "configmaps", ["cm"], Namespaced: true),
        new("Secret", "", ["v1"], "secrets", [], Namespaced: true),
        new("Service", "", ["v1"], "services", ["svc"], Namespaced: true) { Categories = ["all"] },
        new("Pod", "", ["v1"], "pods", ["po"], Namespaced: true) { Categories = ["all"] },
        new("Node", "", ["v1"], "nodes", ["no"], Namespaced: false),
        new("Deployment", "apps", ["v1"], "deployments", ["deploy"], Namespaced: true) { Categories = ["all"] },
        new("PeerAuthentication", Security, ["v1", "v1beta1"], "peerauthentications", ["pa"], Namespaced: true) { Categories = ["istio-io", "security-istio-io"] },
        new("AuthorizationPolicy", Security, ["v1", "v1beta1"], "authorizationpolicies", ["ap"], Namespaced: true) { Categories = ["istio-io", "security-istio-io"] },
        new("DestinationRule", Networking, ["v1", "v1beta1", "v1alpha3"], "destinationrules", ["dr"], Namespaced: true) { Categories = ["istio-io", "networking-istio-io"] },
        new("Gateway", Networking, ["v1", "v1beta1", "v1alpha3"], "gateways", ["gw"], Namespaced: true) { Categories = ["istio-io", "networking-istio-io"] },
        new("VirtualService", Networking, ["v1", "v1beta1", "v1alpha3"], "virtualservices", ["vs"], Namespaced: true) { Categories = ["istio-io", "networking-istio-io"] },
        new("Sidecar", Networking, ["v1", "v1beta1", "v1alpha3"], "sidecars", [], Namespaced: true) { Categories = ["istio-io", "networking-istio-io"] },
    ];

    private static readonly Dictionary<string, KindInfo> ByName = BuildIndex();

    private static Dictionary<string, KindInfo> BuildIndex()
    {
        var index = new Dictionary<string, KindInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var info in All)
        {
            index[info.Kind] = info;
            index[info.Plural] = info;
            index[info.FullyQualifiedPlural] = info;
            if (info.ApiGroup.Length > 0) index[$"{info.Kind}.{info.ApiGroup}"] = info;
            foreach (var s in info.ShortNames) index[s] = info;
        }
        return index;
    }

    /// <summary>
    /// Kinds that Istio or Kubernetes serve and users will try to apply, but Meshwork does not
    /// read; naming them lets an error say "not supported" rather than "unknown".
    /// </summary>
    public static ImmutableArray<string> KnownUnsupportedKinds { get; } =
    [
        "ServiceEntry", "RequestAuthentication", "EnvoyFilter", "WorkloadEntry", "WorkloadGroup", "ProxyConfig",
        "Telemetry", "WasmPlugin", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Ingress", "NetworkPolicy",
        "Endpoints", "EndpointSlice", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "PersistentVolumeClaim",
        "HorizontalPodAutoscaler", "PodDisruptionBudget", "HTTPRoute", "GatewayClass", "TCPRoute", "GRPCRoute",
    ];

    /// <summary>The supported kinds, for messages ("supported kinds: ...").</summary>
    public static string KindList => string.Join(", ", All.Select(k => k.Kind));

    /// <summary>
    /// Resolves what a user may type for a kind (case-insensitive): the kind (<c>PeerAuthentication</c>),
    /// its plural (<c>peerauthentications</c>), a short name (<c>pa</c>) or a group-qualified form
    /// (<c>peerauthentications.security.istio.io</c>).
    /// </summary>
    public static bool TryResolve(string name, [NotNullWhen(true)] out KindInfo? info) => ByName.TryGetValue(name, out info);

    /// <summary>The kind exactly as written in a document's <c>kind</c> field (case-sensitive, as the API is).</summary>
    public static bool TryGetKind(string kind, [NotNullWhen(true)] out KindInfo? info)
    {
        foreach (var k in All)
        {
            if (k.Kind == kind)
            {
                info = k;
                return true;
            }
        }
        info = null;
        return false;
    }

    /// <summary>Finds the kind a REST path names: API group and plural (<c>("security.istio.io", "peerauthentications")</c>).</summary>
    public static bool TryGetByPlural(string apiGroup, string plural, [NotNullWhen(true)] out KindInfo? info)
    {
        foreach (var k in All)
        {
            if (k.ApiGroup == apiGroup && k.Plural == plural)
            {
                info = k;
                return true;
            }
        }
        info = null;
        return false;
    }
}
