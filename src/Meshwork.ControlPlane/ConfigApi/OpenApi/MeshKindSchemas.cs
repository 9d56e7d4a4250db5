using System.Text.Json.Nodes;
using Meshwork.Model.Schema;
using static Meshwork.ControlPlane.ConfigApi.OpenApi.SchemaBuilder;

namespace Meshwork.ControlPlane.ConfigApi.OpenApi;

/// <summary>
/// The OpenAPI v3 schema of each kind as <c>kubectl explain</c> reads it: apiVersion, kind,
/// metadata and, for the mesh kinds, their spec field by field. A spec schema names only fields
/// the manifest reader reads and enforces (a test holds the two together); fields the reader accepts
/// with a "not enforced" warning are left out, so explain never describes a setting as working.
/// Kubernetes' own kinds keep a spec without properties: kubectl knows their fields itself.
/// </summary>
internal static partial class MeshKindSchemas
{
    public static JsonObject For(KindInfo kind)
    {
        var schema = Object(Description(kind),
            ("apiVersion", String("The versioned schema of this object: the group and version, such as security.istio.io/v1.")),
            ("kind", String("The REST resource this object represents, in CamelCase.")),
            ("metadata", Object("The object's name, namespace, labels and annotations, and what the server records (resourceVersion, uid, creationTimestamp).",
                ("name", String("The object's name, unique in its namespace.")),
                ("namespace", String("The namespace the object lives in.")),
                ("labels", StringMap("Labels that selectors match.")),
                ("annotations", StringMap("Free-form annotations.")),
                ("resourceVersion", String("The version of the object the server last stored; an update naming an older one is refused (Conflict).")),
                ("uid", String("The object's unique id, never reused.")),
                ("creationTimestamp", String("When the object was created (RFC 3339).")),
                ("generation", Integer("A counter of changes to the object's spec."))))
            );
        if (Spec(kind.Kind) is { } spec) schema["properties"]!["spec"] = spec;
        return schema;
    }

    /// <summary>The spec schema of a mesh kind, or null for Kubernetes' own kinds.</summary>
    public static JsonObject? Spec(string kind) => kind switch
    {
        "PeerAuthentication" => PeerAuthenticationSpec(),
        "AuthorizationPolicy" => AuthorizationPolicySpec(),
        "DestinationRule" => DestinationRuleSpec(),
        "Gateway" => GatewaySpec(),
        "VirtualService" => VirtualServiceSpec(),
        "Sidecar" => SidecarSpec(),
        _ => null,
    };

    private static string Description(KindInfo kind) => kind.Kind switch
    {
        "PeerAuthentication" => "PeerAuthentication sets the mutual TLS mode the selected workloads accept connections with: for the mesh (in the root namespace), a namespace, a workload, or one of its ports.",
        "AuthorizationPolicy" => "AuthorizationPolicy allows, denies or audits requests to the selected workloads by who sends them (peer identity, namespace, address) and what they ask for (host, port, method, path).",
        "DestinationRule" => "DestinationRule sets how clients connect to a service after routing (TLS origination, mutual TLS) and names its subsets.",
        "Gateway" => "Gateway configures a load balancer at the edge of the mesh: its ports, protocols, hosts and TLS.",
        "VirtualService" => "VirtualService routes requests for a set of hosts: matching, weighted destinations, rewrites, timeouts, retries and faults.",
        "Sidecar" => "Sidecar limits the hosts the selected workloads' sidecars know for outbound traffic and what happens to traffic for other hosts.",
        _ => $"{kind.Kind} ({kind.FullyQualifiedPlural}), as the config API serves it.",
    };
}
