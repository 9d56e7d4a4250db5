using System.Text.Json.Nodes;
using static Meshwork.ControlPlane.ConfigApi.OpenApi.SchemaBuilder;

namespace Meshwork.ControlPlane.ConfigApi.OpenApi;

/// <remarks>security.istio.io: the fields Meshwork's manifest reader reads, with Istio's meaning.</remarks>
internal static partial class MeshKindSchemas
{
    private static JsonObject WorkloadSelector(string what) => Object(
        $"The workloads {what} applies to, by pod labels. Without one, it applies to every workload in its namespace (in the root namespace, the whole mesh).",
        ("matchLabels", StringMap("Labels a pod must carry, all of them, to be selected.")));

    private static JsonObject PeerAuthenticationSpec() => Object(
        "How the selected workloads accept connections: mutual TLS, plain text, or both.",
        ("selector", WorkloadSelector("this PeerAuthentication")),
        ("mtls", Mtls("Mutual TLS settings for the workloads. Unset, the mode is inherited from the namespace's policy, then the mesh's (PERMISSIVE when none is set).")),
        ("portLevelMtls", Map(
            "Mutual TLS settings per container port (the key), overriding mtls for that port. Needs a selector.",
            Mtls("Mutual TLS settings for the port."))));

    private static JsonObject Mtls(string description) => Object(description,
        ("mode", String(
            "UNSET inherits the parent's mode; DISABLE accepts plain text only; PERMISSIVE accepts mutual TLS and plain text; STRICT accepts mutual TLS only.",
            "UNSET", "DISABLE", "PERMISSIVE", "STRICT")));

    private static JsonObject AuthorizationPolicySpec() => Object(
        "Access control for the selected workloads: which requests are allowed, denied or audited.",
        ("selector", WorkloadSelector("this AuthorizationPolicy")),
        ("action", String(
            "What a matching request gets: ALLOW (the default), DENY, AUDIT, or CUSTOM (an external authorizer named by provider). DENY policies are evaluated before ALLOW ones.",
            "ALLOW", "DENY", "AUDIT", "CUSTOM")),
        ("provider", Object("The external authorizer of a CUSTOM action.", ("name", String("The extension provider's name.")))),
        ("rules", Array(
            "The rules a request is matched against; the policy matches when any rule does. An ALLOW policy without rules allows nothing; one with an empty rule allows everything.",
            Object("A rule matches when its from, to and when all match.",
                ("from", Array("Sources; any of them may match.", Object("One source.", ("source", Source())))),
                ("to", Array("Operations; any of them may match.", Object("One operation.", ("operation", Operation())))),
                ("when", Array("Conditions on request attributes; all of them must match.", Object("One condition.",
                    ("key", String("The attribute, such as source.ip, request.headers[name] or destination.port.")),
                    ("values", Strings("Values, any of which matches.")),
                    ("notValues", Strings("Values, none of which may match.")))))))));

    private static JsonObject Source() => Object(
        "Where the request comes from. Every field set must match.",
        ("principals", Strings("Peer identities from mutual TLS, as trust-domain/ns/NAMESPACE/sa/SERVICE-ACCOUNT; * matches any authenticated peer.")),
        ("notPrincipals", Strings("Peer identities that must not match.")),
        ("requestPrincipals", Strings("Request identities from a JWT, as ISSUER/SUBJECT.")),
        ("notRequestPrincipals", Strings("Request identities that must not match.")),
        ("namespaces", Strings("Namespaces of the peer, taken from its mutual TLS identity.")),
        ("notNamespaces", Strings("Peer namespaces that must not match.")),
        ("ipBlocks", Strings("Source addresses or CIDR blocks of the connection.")),
        ("notIpBlocks", Strings("Source addresses that must not match.")),
        ("remoteIpBlocks", Strings("Original client addresses (X-Forwarded-For).")),
        ("notRemoteIpBlocks", Strings("Original client addresses that must not match.")));

    private static JsonObject Operation() => Object(
        "What the request asks for. Every field set must match.",
        ("hosts", Strings("Host or :authority values.")),
        ("notHosts", Strings("Hosts that must not match.")),
        ("ports", Strings("Destination ports of the connection.")),
        ("notPorts", Strings("Ports that must not match.")),
        ("methods", Strings("HTTP methods.")),
        ("notMethods", Strings("Methods that must not match.")),
        ("paths", Strings("Request paths, without the query; a leading or trailing * matches a suffix or prefix.")),
        ("notPaths", Strings("Paths that must not match.")));
}
