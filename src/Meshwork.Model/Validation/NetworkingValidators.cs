using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>DestinationRule: host, subsets, port-level settings, TLS settings and exportTo (Istio's validation rules).</summary>
internal sealed class DestinationRuleValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not DestinationRule dr) return;
        var spec = dr.Spec;
        if (spec.Host.Length == 0)
        {
            ctx.Error("spec.host", "missing spec.host", "name the service the rule applies to, e.g. host: httpbin.foo.svc.cluster.local");
        }
        else if (Names.WildcardDomain(spec.Host) is { } hostProblem)
        {
            ctx.Error("spec.host", $"invalid host \"{spec.Host}\": {hostProblem}", "a service name such as httpbin, httpbin.foo or httpbin.foo.svc.cluster.local");
        }
        TrafficPolicy(ctx, "spec.trafficPolicy", spec.TrafficPolicy);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Subsets.Length; i++)
        {
            var subset = spec.Subsets[i];
            var path = $"spec.subsets[{i}]";
            if (subset.Name.Length == 0) ctx.Error($"{path}.name", "missing subset name");
            else if (Names.Dns1123Label(subset.Name) is { } problem) ctx.Error($"{path}.name", $"invalid subset name \"{subset.Name}\": {problem}");
            else if (!names.Add(subset.Name)) ctx.Error($"{path}.name", $"duplicate subset name \"{subset.Name}\"");
            Labels(ctx, $"{path}.labels", subset.Labels);
            TrafficPolicy(ctx, $"{path}.trafficPolicy", subset.TrafficPolicy);
        }
        ExportTo.Validate(ctx, spec.ExportTo);
        Selector(ctx, "spec.workloadSelector", spec.WorkloadSelector);
    }

    private static void TrafficPolicy(ReadContext ctx, string path, TrafficPolicy? policy)
    {
        if (policy is null) return;
        Tls(ctx, $"{path}.tls", policy.Tls);
        var ports = new HashSet<int>();
        for (var i = 0; i < policy.PortLevelSettings.Length; i++)
        {
            var p = policy.PortLevelSettings[i];
            var ppath = $"{path}.portLevelSettings[{i}]";
            if (!ctx.Has($"{ppath}.port.number")) ctx.Error($"{ppath}.port", "missing port.number", "port-level settings name a Service port: port: {number: 80}");
            else if (!InPortRange(p.Port)) ctx.Error($"{ppath}.port.number", $"port number {p.Port} must be in the range 1..65535");
            else if (!ports.Add(p.Port)) ctx.Error($"{ppath}.port.number", $"duplicate port-level settings for port {p.Port}");
            Tls(ctx, $"{ppath}.tls", p.Tls);
        }
    }

    /// <summary>Istio's ClientTLSSettings rules (pkg/config/validation: validateTLS).</summary>
    private static void Tls(ReadContext ctx, string path, ClientTlsSettings? tls)
    {
        if (tls is null) return;
        if (tls.Mode == ClientTlsMode.IstioMutual)
        {
            // Istio accepts these and ignores them: ISTIO_MUTUAL always presents the workload's own identity.
            if (tls.ClientCertificate is not null || tls.PrivateKey is not null || tls.CaCertificates is not null || tls.CredentialName is not null)
            {
                ctx.Warning(path, "ISTIO_MUTUAL uses the mesh's own certificates; clientCertificate, privateKey, caCertificates and credentialName are ignored",
                    "remove them, or use MUTUAL to present your own certificate");
            }
            return;
        }
        if (tls.InsecureSkipVerify)
        {
            if (tls.Mode == ClientTlsMode.Simple && (tls.CaCertificates is not null || tls.CredentialName is not null || !tls.SubjectAltNames.IsEmpty))
            {
                ctx.Error($"{path}.insecureSkipVerify", "cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true");
            }
            if (tls.Mode == ClientTlsMode.Mutual && (tls.CaCertificates is not null || !tls.SubjectAltNames.IsEmpty))
            {
                ctx.Error($"{path}.insecureSkipVerify", "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true");
            }
        }
        if (tls.Mode is ClientTlsMode.Simple or ClientTlsMode.Mutual && tls.CredentialName is not null)
        {
            if (tls.ClientCertificate is not null || tls.CaCertificates is not null || tls.PrivateKey is not null)
            {
                ctx.Error($"{path}.credentialName", "cannot specify client certificates or CA certificate when credentialName is set",
                    "the credential's secret holds them; remove clientCertificate, privateKey and caCertificates");
            }
            return;
        }
        if (tls.Mode == ClientTlsMode.Mutual)
        {
            if (tls.ClientCertificate is null) ctx.Error($"{path}.clientCertificate", "client certificate required for mutual TLS", "set clientCertificate and privateKey, or credentialName");
            if (tls.PrivateKey is null) ctx.Error($"{path}.privateKey", "private key required for mutual TLS", "set clientCertificate and privateKey, or credentialName");
        }
    }
}

/// <summary>exportTo entries: ".", "*", "~" or a namespace name; "*" and "~" stand alone.</summary>
internal static class ExportTo
{
    public static void Validate(ReadContext ctx, ImmutableArray<string> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (v is "." or "*") continue;
            if (v == "~")
            {
                if (values.Length > 1) ctx.Error($"spec.exportTo[{i}]", "\"~\" (export nowhere) cannot be combined with other entries");
                continue;
            }
            if (Names.Dns1123Label(v) is { } problem) ctx.Error($"spec.exportTo[{i}]", $"invalid namespace \"{v}\": {problem}", "use \".\", \"*\" or a namespace name");
        }
        if (values.Contains("*") && values.Length > 1) ctx.Error("spec.exportTo", "\"*\" (export everywhere) cannot be combined with other entries");
    }
}

/// <summary>Gateway: servers with valid ports, protocols and hosts; TLS settings where the protocol needs them.</summary>
internal sealed class GatewayValidator : ResourceValidator
{
    public static readonly IReadOnlyList<string> Protocols = ["HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "HTTP_PROXY", "MONGO", "MYSQL", "REDIS", "TCP", "TLS", "UDP"];

    private static bool IsHttp(string protocol) => protocol is "HTTP" or "HTTP2" or "GRPC" or "GRPC-WEB" or "HTTP_PROXY";

    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not Gateway gw) return;
        if (gw.Metadata.Name.Length > 0 && Names.Dns1123Label(gw.Metadata.Name) is { } nameProblem && Names.Dns1123Subdomain(gw.Metadata.Name) is null)
        {
            // Istio is stricter than Kubernetes here: a Gateway name is a label (no dots), since VirtualServices refer to it as ns/name.
            ctx.Error("metadata.name", $"invalid gateway name \"{gw.Metadata.Name}\": {nameProblem}");
        }
        Labels(ctx, "spec.selector", gw.Spec.Selector);
        if (gw.Spec.Servers.IsEmpty)
        {
            ctx.Error("spec.servers", "a Gateway must have at least one server", "servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [\"*\"]}]");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < gw.Spec.Servers.Length; i++)
        {
            var server = gw.Spec.Servers[i];
            var path = $"spec.servers[{i}]";
            if (!ctx.Has($"{path}.port")) ctx.Error($"{path}.port", "missing port");
            else
            {
                if (!InPortRange(server.Port.Number)) ctx.Error($"{path}.port.number", $"port number {server.Port.Number} must be in the range 1..65535");
                var protocol = server.Port.Protocol;
                if (protocol.Length == 0) ctx.Error($"{path}.port.protocol", "missing protocol", $"valid protocols: {string.Join(", ", Protocols)}");
                else if (!Protocols.Contains(protocol.ToUpperInvariant()))
                {
                    ctx.Error($"{path}.port.protocol", $"invalid protocol \"{protocol}\"", $"valid protocols: {string.Join(", ", Protocols)}");
                }
                else
                {
                    var upper = protocol.ToUpperInvariant();
                    if (upper is "HTTPS" or "TLS" && server.Tls is null)
                    {
                        ctx.Error($"{path}.tls", $"a {upper} server needs tls settings", "add tls: {mode: SIMPLE, credentialName: <secret>}");
                    }
                    else if (upper is not ("HTTPS" or "TLS") && server.Tls is { } tls)
                    {
                        if (!IsHttp(upper)) ctx.Error($"{path}.tls", $"a {upper} server cannot have TLS settings", "use protocol HTTPS or TLS to terminate TLS");
                        else if (tls.Mode != "PASSTHROUGH") ctx.Error($"{path}.tls", "a plain-text HTTP server cannot have TLS settings other than httpsRedirect", "use protocol HTTPS to terminate TLS");
                    }
                    if (upper is "HTTPS" or "TLS" && server.Tls is { Mode: "SIMPLE" or "MUTUAL", CredentialName: null } serverTls
                        && !ctx.Has($"{path}.tls.serverCertificate"))
                    {
                        ctx.Error($"{path}.tls", $"{serverTls.Mode} TLS requires a server certificate", "set credentialName to the Secret holding the certificate and key");
                    }
                    if (server.Tls is { HttpsRedirect: true } && !IsHttp(upper))
                    {
                        ctx.Warning($"{path}.tls.httpsRedirect", "tls.httpsRedirect should only be used with HTTP servers");
                    }
                }
                if (string.IsNullOrEmpty(server.Port.Name))
                {
                    ctx.Error($"{path}.port.name", "port name must be set", "e.g. name: http");
                }
                else if (!names.Add(server.Port.Name))
                {
                    ctx.Error($"{path}.port.name", $"duplicate port name \"{server.Port.Name}\"", "port names must be unique across the Gateway's servers");
                }
            }
            if (server.Hosts.IsEmpty) ctx.Error($"{path}.hosts", "a server must list at least one host", "hosts: [\"*\"] accepts every host");
            for (var h = 0; h < server.Hosts.Length; h++)
            {
                if (server.Hosts[h].Length == 0) ctx.Error($"{path}.hosts[{h}]", "empty host");
            }
        }
    }
}

/// <summary>VirtualService: hosts, routes with destinations, and the mesh-gateway wildcard rule.</summary>
internal sealed class VirtualServiceValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not VirtualService vs) return;
        var spec = vs.Spec;
        if (spec.Hosts.IsEmpty)
        {
            // Istio reads a VirtualService without hosts as a delegate, which only a parent's delegate field uses.
            if (!spec.Gateways.IsEmpty) ctx.Error("spec.gateways", "a delegate VirtualService (one without hosts) must have no gateways", "add hosts: [...] to route traffic");
            else if (!spec.Tcp.IsEmpty) ctx.Error("spec.tcp", "a delegate VirtualService (one without hosts) must have no tcp routes", "add hosts: [...] to route traffic");
            else ctx.Warning("spec.hosts", "a VirtualService without hosts is a delegate, and Meshwork does not support delegation; it has no effect",
                "add hosts: [reviews.default.svc.cluster.local] to route traffic");
        }
        var seenHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var meshBound = spec.Gateways.IsEmpty || spec.Gateways.Contains("mesh");
        for (var i = 0; i < spec.Hosts.Length; i++)
        {
            var host = spec.Hosts[i];
            if (host.Length == 0) ctx.Error($"spec.hosts[{i}]", "empty host");
            else if (!seenHosts.Add(host)) ctx.Error($"spec.hosts[{i}]", $"duplicate host \"{host}\"");
            else if (Names.WildcardDomain(host) is { } problem && !System.Net.IPAddress.TryParse(host, out _))
            {
                ctx.Error($"spec.hosts[{i}]", $"invalid host \"{host}\": {problem}", "a service name such as reviews or reviews.default.svc.cluster.local");
            }
            else if (host == "*" && meshBound)
            {
                ctx.Error($"spec.hosts[{i}]", "wildcard host * is not allowed for a VirtualService bound to the mesh", "name the service, or bind the VirtualService to a gateway only");
            }
        }
        for (var i = 0; i < spec.Gateways.Length; i++)
        {
            if (spec.Gateways[i].Length == 0) ctx.Error($"spec.gateways[{i}]", "empty gateway name");
        }
        if (spec.Http.IsEmpty && spec.Tcp.IsEmpty && !ctx.Has("spec.tls"))
        {
            ctx.Error("spec", "a VirtualService needs http or tcp routes");
        }
        for (var i = 0; i < spec.Http.Length; i++)
        {
            var route = spec.Http[i];
            var path = $"spec.http[{i}]";
            if (route.Route.IsEmpty && !ctx.Has($"{path}.redirect") && !ctx.Has($"{path}.directResponse") && !ctx.Has($"{path}.delegate"))
            {
                ctx.Error($"{path}.route", "an HTTP route needs a route (or redirect, directResponse or delegate)");
            }
            for (var m = 0; m < route.Match.Length; m++)
            {
                if (route.Match[m].Port is { } port && !InPortRange(port)) ctx.Error($"{path}.match[{m}].port", $"port {port} must be in the range 1..65535");
            }
            Destinations(ctx, path, route.Route);
            HeaderEdits(ctx, $"{path}.headers.request", route.Headers?.Request);
            HeaderEdits(ctx, $"{path}.headers.response", route.Headers?.Response);
            Fault(ctx, $"{path}.fault", route.Fault);
        }
        for (var i = 0; i < spec.Tcp.Length; i++)
        {
            var path = $"spec.tcp[{i}]";
            if (spec.Tcp[i].Route.IsEmpty) ctx.Error($"{path}.route", "a TCP route needs at least one destination");
            Destinations(ctx, path, spec.Tcp[i].Route);
        }
        ExportTo.Validate(ctx, spec.ExportTo);
    }

    /// <summary>
    /// Edited fields go onto the wire as written: a name must be an RFC 9110 §5.1 token and a value must hold no
    /// CR, LF or NUL (RFC 9110 §5.5), or one edit could smuggle further fields into every routed message.
    /// </summary>
    private static void HeaderEdits(ReadContext ctx, string path, HeaderOperations? operations)
    {
        if (operations is null) return;
        foreach (var (kind, fields) in new[] { ("set", operations.Set), ("add", operations.Add) })
        {
            foreach (var (name, value) in fields)
            {
                if (!IsToken(name)) ctx.Error($"{path}.{kind}", $"\"{name}\" is not a valid header name", "use letters, digits and -");
                else if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0) ctx.Error($"{path}.{kind}.{name}", "a header value cannot contain CR, LF or NUL");
            }
        }
        for (var r = 0; r < operations.Remove.Length; r++)
        {
            if (!IsToken(operations.Remove[r])) ctx.Error($"{path}.remove[{r}]", $"\"{operations.Remove[r]}\" is not a valid header name", "use letters, digits and -");
        }
    }

    /// <summary>Istio's rules: a fault needs a delay or an abort, a delay a positive fixedDelay, an abort a status from 200 to 599.</summary>
    private static void Fault(ReadContext ctx, string path, HttpFault? fault)
    {
        if (fault is null) return;
        if (fault.Delay is null && fault.Abort is null) ctx.Error(path, "a fault needs a delay or an abort", "fault: {abort: {httpStatus: 503, percentage: {value: 10}}}");
        if (fault.Delay is { } delay && delay.FixedDelay <= TimeSpan.Zero)
            ctx.Error($"{path}.delay.fixedDelay", "a delay needs a fixedDelay greater than zero", "fixedDelay: 5s");
        if (fault.Abort is { } abort && abort.HttpStatus is < 200 or > 599)
            ctx.Error($"{path}.abort.httpStatus", $"httpStatus {abort.HttpStatus} must be in the range 200..599", "httpStatus: 503");
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c < 127 && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)));

    private static void Destinations(ReadContext ctx, string path, ImmutableArray<WeightedDestination> route)
    {
        for (var d = 0; d < route.Length; d++)
        {
            var dest = route[d];
            var dpath = $"{path}.route[{d}]";
            if (dest.Destination.Host.Length == 0) ctx.Error($"{dpath}.destination.host", "missing destination host", "destination: {host: reviews}");
            if (dest.Destination.Port is { } port && !InPortRange(port)) ctx.Error($"{dpath}.destination.port.number", $"port {port} must be in the range 1..65535");
            if (dest.Destination.Subset is { } subset && Names.Dns1123Label(subset) is { } problem) ctx.Error($"{dpath}.destination.subset", $"invalid subset name \"{subset}\": {problem}");
            if (dest.Weight < 0) ctx.Error($"{dpath}.weight", "weight must not be negative");
        }
    }
}
