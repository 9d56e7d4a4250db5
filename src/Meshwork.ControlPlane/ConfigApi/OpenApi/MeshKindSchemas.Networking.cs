using System.Text.Json.Nodes;
using static Meshwork.ControlPlane.ConfigApi.OpenApi.SchemaBuilder;

namespace Meshwork.ControlPlane.ConfigApi.OpenApi;

/// <remarks>networking.istio.io: the fields Meshwork's manifest reader reads, with Istio's meaning.</remarks>
internal static partial class MeshKindSchemas
{
    private static JsonObject ExportTo() =>
        Strings("Namespaces this object is visible to: . for its own, * for all (the default), or namespace names.");

    private static JsonObject DestinationRuleSpec() => Object(
        "Policies applied to traffic for a service after routing: TLS to its workloads and its subsets.",
        ("host", String("The service, by short name (resolved in the rule's namespace) or fully qualified name.")),
        ("trafficPolicy", TrafficPolicy()),
        ("subsets", Array("Named groups of the service's endpoints, selected by labels, that routes may name.", Object("One subset.",
            ("name", String("The subset's name, as a route's destination.subset names it.")),
            ("labels", StringMap("Labels an endpoint's pod must carry to be in the subset.")),
            ("trafficPolicy", TrafficPolicy())))),
        ("exportTo", ExportTo()),
        ("workloadSelector", Object("The client workloads this rule applies to, by pod labels.",
            ("matchLabels", StringMap("Labels a pod must carry, all of them.")))));

    private static JsonObject TrafficPolicy() => Object(
        "How clients connect to the destination.",
        ("tls", ClientTls()),
        ("portLevelSettings", Array("Settings for one port of the destination, overriding the rest.", Object("One port's settings.",
            ("port", Object("The destination port.", ("number", Integer("The port number.")))),
            ("tls", ClientTls())))));

    private static JsonObject ClientTls() => Object(
        "TLS from the client sidecar to the destination.",
        ("mode", String(
            "DISABLE sends plain text; SIMPLE originates TLS; MUTUAL originates mutual TLS with the given certificates; ISTIO_MUTUAL uses the mesh's certificates.",
            "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")),
        ("clientCertificate", String("File of the client certificate (MUTUAL).")),
        ("privateKey", String("File of the client's private key (MUTUAL).")),
        ("caCertificates", String("File of the certificate authorities that verify the server.")),
        ("credentialName", String("Secret holding the client certificate, key and CA.")),
        ("subjectAltNames", Strings("Names the server certificate must carry.")),
        ("sni", String("Server name sent in the TLS handshake.")),
        ("insecureSkipVerify", Boolean("Skips verifying the server certificate.")));

    private static JsonObject GatewaySpec() => Object(
        "A load balancer at the edge of the mesh: the ports it listens on and the hosts it serves.",
        ("selector", StringMap("Labels of the gateway workloads (such as istio: ingressgateway) that take this configuration.")),
        ("servers", Array("The servers the gateway exposes.", Object("One server: a port and the hosts served on it.",
            ("port", Object("The port the gateway listens on.",
                ("number", Integer("The port number.")),
                ("name", String("The port's name.")),
                ("protocol", String("HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP or TLS.")))),
            ("hosts", Strings("Hosts served on the port, optionally prefixed by a namespace (ns/host).")),
            ("tls", Object("TLS the gateway terminates or passes through.",
                ("mode", String("How TLS is handled on the port.", NetworkingServerTlsModes)),
                ("credentialName", String("Secret holding the server certificate and key.")),
                ("httpsRedirect", Boolean("Answers plain HTTP with a redirect to HTTPS."))))))));

    private static readonly string[] NetworkingServerTlsModes = ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"];

    private static JsonObject VirtualServiceSpec() => Object(
        "Routing rules for traffic to a set of hosts.",
        ("hosts", Strings("The destination hosts the rules apply to.")),
        ("gateways", Strings("Gateways (and mesh, for the sidecars) that apply the rules; mesh when unset.")),
        ("http", Array("HTTP routes, in order: the first that matches is taken.", HttpRoute())),
        ("tcp", Array("TCP routes, in order.", Object("One TCP route.",
            ("match", Array("Conditions; any of them may match.", Object("One condition.", ("port", Integer("The destination port."))))),
            ("route", Array("Destinations with weights.", WeightedDestination()))))),
        ("exportTo", ExportTo()));

    private static JsonObject HttpRoute() => Object(
        "One HTTP route: conditions and what happens to a matching request.",
        ("name", String("The route's name, for logs and statistics.")),
        ("match", Array("Conditions; any of them may match.", Object("One condition; all of its fields must match.",
            ("uri", StringMatch("The request path.")),
            ("method", StringMatch("The HTTP method.")),
            ("headers", Map("Request headers by name.", StringMatch("The header's value."))),
            ("queryParams", Map("Query parameters by name.", StringMatch("The parameter's value."))),
            ("port", Integer("The destination port.")),
            ("gateways", Strings("Gateways this condition applies to."))))),
        ("route", Array("Destinations with weights.", WeightedDestination())),
        ("rewrite", Object("Rewrites before forwarding.",
            ("uri", String("Replaces the matched path prefix.")),
            ("authority", String("Replaces the Host (:authority) header.")))),
        ("timeout", String("Timeout of the whole request, as a duration (10s).")),
        ("retries", Object("Retries of failed requests.",
            ("attempts", Integer("Number of retries.")),
            ("perTryTimeout", String("Timeout of each attempt, as a duration.")),
            ("retryOn", String("Conditions that retry, comma-separated (5xx, connect-failure, 503).")))),
        ("headers", Object("Header operations.", ("request", HeaderOperations("request")), ("response", HeaderOperations("response")))),
        ("fault", Object("Faults injected into matching requests.",
            ("delay", Object("A delay before forwarding.",
                ("fixedDelay", String("The delay, as a duration.")),
                ("percentage", Percentage()))),
            ("abort", Object("An error answered instead of forwarding.",
                ("httpStatus", Integer("The HTTP status answered.")),
                ("percentage", Percentage()))))));

    private static JsonObject StringMatch(string what) => Object($"{what} Set one of exact, prefix or regex.",
        ("exact", String("Matches this value exactly.")),
        ("prefix", String("Matches values starting with this.")),
        ("regex", String("Matches this RE2 regular expression.")));

    private static JsonObject HeaderOperations(string which) => Object($"Changes to the {which} headers.",
        ("set", StringMap("Headers to set, replacing any value.")),
        ("add", StringMap("Headers to append.")),
        ("remove", Strings("Headers to remove.")));

    private static JsonObject Percentage() =>
        Object("The share of requests affected.", ("value", new JsonObject { ["description"] = "A percentage from 0 to 100.", ["type"] = "number", ["format"] = "double" }));

    private static JsonObject WeightedDestination() => Object(
        "A destination and the share of traffic it takes.",
        ("destination", Object("Where requests go.",
            ("host", String("The service, by short or fully qualified name.")),
            ("subset", String("A subset named in the host's DestinationRule.")),
            ("port", Object("The service port.", ("number", Integer("The port number.")))))),
        ("weight", Integer("The share of traffic, out of the weights of all destinations of the route.")));

    private static JsonObject SidecarSpec() => Object(
        "What the selected workloads' sidecars can reach.",
        ("workloadSelector", Object("The workloads this Sidecar applies to, by pod labels; without it, every workload in its namespace.",
            ("labels", StringMap("Labels a pod must carry, all of them.")))),
        ("egress", Array("Hosts the sidecar knows about for outbound traffic.", Object("One egress listener.",
            ("hosts", Strings("Hosts, as namespace/dnsName (./* for the own namespace, istio-system/* for that namespace)."))))),
        ("outboundTrafficPolicy", Object("What happens to traffic for hosts the sidecar does not know.",
            ("mode", String("ALLOW_ANY passes it through; REGISTRY_ONLY refuses it.", "ALLOW_ANY", "REGISTRY_ONLY")))));
}
