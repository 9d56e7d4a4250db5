using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Validation;

/// <summary>
/// One row per rule: a manifest that breaks it, and the error a user must see (field path and a
/// message fragment). Each row also proves the manifest is otherwise valid: it has exactly that error.
/// </summary>
public class ValidationRuleTests
{
    private const string Pa = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: foo}\n";
    private const string Ap = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: foo}\n";
    private const string Dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: foo}\n";
    private const string Gw = "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {name: g, namespace: foo}\n";
    private const string Vs = "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: v, namespace: foo}\n";
    private const string Svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: foo}\n";
    private const string Deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: foo}\n";

    public static TheoryData<string, string, string, string> Rules() => new()
    {
        // PeerAuthentication
        { "portLevelMtls without selector", Pa + "spec:\n  portLevelMtls:\n    8080: {mode: DISABLE}\n", "spec.portLevelMtls", "portLevelMtls requires selector" },
        { "portLevelMtls with an empty selector", Pa + "spec:\n  selector: {matchLabels: {}}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n", "spec.portLevelMtls", "portLevelMtls requires selector" },
        { "port key 0", Pa + "spec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls:\n    0: {mode: DISABLE}\n", "spec.portLevelMtls[0]", "port 0 is out of range" },
        { "port key 65536", Pa + "spec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls:\n    \"65536\": {mode: DISABLE}\n", "spec.portLevelMtls[65536]", "port 65536 is out of range" },
        { "port key not a number", Pa + "spec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls:\n    http: {mode: DISABLE}\n", "spec.portLevelMtls[http]", "is not a port number" },
        { "mtls mode lower case", Pa + "spec:\n  mtls: {mode: permissive}\n", "spec.mtls.mode", "invalid value \"permissive\"" },
        { "selector label value invalid", Pa + "spec:\n  selector: {matchLabels: {app: \"-bad\"}}\n", "spec.selector.matchLabels[app]", "invalid value \"-bad\"" },

        // AuthorizationPolicy
        { "DENY without rules", Ap + "spec:\n  action: DENY\n", "spec.action", "a DENY policy must have rules" },
        { "DENY with an empty rule list", Ap + "spec:\n  action: DENY\n  rules: []\n", "spec.rules", "a DENY policy must have rules" },
        { "provider without CUSTOM", Ap + "spec:\n  action: ALLOW\n  provider: {name: opa}\n  rules: [{}]\n", "spec.provider", "provider can only be used with action CUSTOM" },
        { "CUSTOM without provider", Ap + "spec:\n  action: CUSTOM\n  rules: [{}]\n", "spec.provider", "a CUSTOM policy needs a provider" },
        { "unknown when key", Ap + "spec:\n  rules:\n  - when:\n    - key: request.header[x-token]\n      values: [a]\n", "spec.rules[0].when[0].key", "unknown attribute \"request.header[x-token]\"" },
        { "when without values", Ap + "spec:\n  rules:\n  - when:\n    - key: source.ip\n", "spec.rules[0].when[0]", "at least one of `values` or `notValues`" },
        { "when source.ip not an address", Ap + "spec:\n  rules:\n  - when:\n    - key: source.ip\n      values: [10.0.0.300]\n", "spec.rules[0].when[0].values[0]", "invalid IP address" },
        { "selector and targetRef", Ap + "spec:\n  selector: {matchLabels: {app: a}}\n  targetRef: {kind: Service, name: s}\n", "spec.selector", "only one of targetRefs, targetRef or selector" },
        { "empty from list", Ap + "spec:\n  rules:\n  - from: []\n", "spec.rules[0].from", "`from` must not be empty" },
        { "empty source", Ap + "spec:\n  rules:\n  - from:\n    - source: {}\n", "spec.rules[0].from[0].source", "`from.source` must not be empty" },
        { "from entry without source", Ap + "spec:\n  rules:\n  - from:\n    - {}\n", "spec.rules[0].from[0].source", "`from.source` must be set" },
        { "empty operation", Ap + "spec:\n  rules:\n  - to:\n    - operation: {}\n", "spec.rules[0].to[0].operation", "`to.operation` must not be empty" },
        { "port not a number", Ap + "spec:\n  rules:\n  - to:\n    - operation: {ports: [\"http\"]}\n", "spec.rules[0].to[0].operation.ports[0]", "invalid port \"http\"" },
        { "port unquoted", Ap + "spec:\n  rules:\n  - to:\n    - operation: {ports: [8080]}\n", "spec.rules[0].to[0].operation.ports[0]", "expected a string, got integer 8080" },
        { "bad ip block", Ap + "spec:\n  rules:\n  - from:\n    - source: {ipBlocks: [\"10.0.0.0/33\"]}\n", "spec.rules[0].from[0].source.ipBlocks[0]", "invalid IP address or CIDR block" },
        { "empty principal", Ap + "spec:\n  rules:\n  - from:\n    - source: {principals: [\"\"]}\n", "spec.rules[0].from[0].source.principals[0]", "empty value is not allowed" },
        { "principals not a list", Ap + "spec:\n  rules:\n  - from:\n    - source: {principals: cluster.local/ns/foo/sa/sleep}\n", "spec.rules[0].from[0].source.principals", "expected a list" },

        { "CUSTOM without rules", Ap + "spec:\n  action: CUSTOM\n  provider: {name: opa}\n", "spec.action", "a CUSTOM policy must have rules" },
        { "CUSTOM matching on principals", Ap + "spec:\n  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - from:\n    - source: {principals: [a]}\n", "spec.rules[0].from[0].source.principals", "principals is not supported with the CUSTOM action" },
        { "CUSTOM matching on a JWT claim", Ap + "spec:\n  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - when:\n    - {key: request.auth.presenter, values: [a]}\n", "spec.rules[0].when[0].key", "request.auth.presenter is not supported with the CUSTOM action" },
        { "wildcard in a selector", Ap + "spec:\n  selector: {matchLabels: {app: \"web*\"}}\n", "spec.selector.matchLabels[app]", "wildcard is not supported in selector" },
        { "empty portLevelMtls", Pa + "spec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls: {}\n", "spec.portLevelMtls", "must have at least one element" },

        // DestinationRule
        { "no host", Dr + "spec:\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n", "spec.host", "missing spec.host" },
        { "MUTUAL without key", Dr + "spec:\n  host: h\n  trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /c.pem}}\n", "spec.trafficPolicy.tls.privateKey", "private key required for mutual TLS" },
        { "credentialName with certificate files", Dr + "spec:\n  host: h\n  trafficPolicy: {tls: {mode: SIMPLE, credentialName: c, caCertificates: /ca.pem}}\n", "spec.trafficPolicy.tls.credentialName", "cannot specify client certificates or CA certificate" },
        { "insecureSkipVerify with a CA", Dr + "spec:\n  host: h\n  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /ca.pem, insecureSkipVerify: true}}\n", "spec.trafficPolicy.tls.insecureSkipVerify", "when insecureSkipVerify is true" },
        { "tls mode unknown", Dr + "spec:\n  host: h\n  trafficPolicy: {tls: {mode: STRICT}}\n", "spec.trafficPolicy.tls.mode", "invalid value \"STRICT\"" },
        { "port-level without number", Dr + "spec:\n  host: h\n  trafficPolicy:\n    portLevelSettings:\n    - tls: {mode: DISABLE}\n", "spec.trafficPolicy.portLevelSettings[0].port", "missing port.number" },
        { "port-level out of range", Dr + "spec:\n  host: h\n  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 70000}\n", "spec.trafficPolicy.portLevelSettings[0].port.number", "must be in the range 1..65535" },
        { "duplicate subset", Dr + "spec:\n  host: h\n  subsets:\n  - name: v1\n  - name: v1\n", "spec.subsets[1].name", "duplicate subset name" },
        { "subset name upper case", Dr + "spec:\n  host: h\n  subsets:\n  - name: V1\n", "spec.subsets[0].name", "invalid subset name \"V1\"" },
        { "exportTo star with others", Dr + "spec:\n  host: h\n  exportTo: [\"*\", foo]\n", "spec.exportTo", "cannot be combined" },

        // Gateway
        { "no servers", Gw + "spec:\n  selector: {istio: ingressgateway}\n", "spec.servers", "at least one server" },
        { "bad protocol", Gw + "spec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTPX}\n    hosts: [\"*\"]\n", "spec.servers[0].port.protocol", "invalid protocol \"HTTPX\"" },
        { "no hosts", Gw + "spec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n", "spec.servers[0].hosts", "at least one host" },
        { "HTTPS without tls", Gw + "spec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*\"]\n", "spec.servers[0].tls", "needs tls settings" },
        { "gateway port out of range", Gw + "spec:\n  servers:\n  - port: {number: 0, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n", "spec.servers[0].port.number", "must be in the range 1..65535" },

        // VirtualService
        { "regex uri that does not compile", Vs + "spec:\n  hosts: [r]\n  http:\n  - match: [{uri: {regex: \"/a(\"}}]\n    route: [{destination: {host: r}}]\n", "spec.http[0].match[0].uri.regex", "invalid regular expression" },
        { "regex header that does not compile", Vs + "spec:\n  hosts: [r]\n  http:\n  - match: [{headers: {x-v: {regex: \"[\"}}}]\n    route: [{destination: {host: r}}]\n", "spec.http[0].match[0].headers[x-v].regex", "invalid regular expression" },
        { "split weights not adding to 100", Vs + "spec:\n  hosts: [r]\n  http:\n  - route:\n    - {destination: {host: r, subset: a}, weight: 50}\n    - {destination: {host: r, subset: b}, weight: 40}\n", "spec.http[0].route", "add up to 90, not 100" },
        { "uri rewrite after a regex match", Vs + "spec:\n  hosts: [r]\n  http:\n  - match: [{uri: {regex: \"/a.*\"}}]\n    rewrite: {uri: /b}\n    route: [{destination: {host: r}}]\n", "spec.http[0].rewrite.uri", "a regex match has none" },
        { "timeout without a unit", Vs + "spec:\n  hosts: [r]\n  http:\n  - timeout: \"5\"\n    route: [{destination: {host: r}}]\n", "spec.http[0].timeout", "invalid duration \"5\"" },
        { "negative retry attempts", Vs + "spec:\n  hosts: [r]\n  http:\n  - retries: {attempts: -1}\n    route: [{destination: {host: r}}]\n", "spec.http[0].retries.attempts", "" },
        { "no hosts but gateways", Vs + "spec:\n  gateways: [gw]\n  http: [{route: [{destination: {host: r}}]}]\n", "spec.gateways", "a delegate VirtualService (one without hosts) must have no gateways" },
        { "duplicate hosts", Vs + "spec:\n  hosts: [r, R]\n  http: [{route: [{destination: {host: r}}]}]\n", "spec.hosts[1]", "duplicate host" },
        { "wildcard bound to mesh", Vs + "spec:\n  hosts: [\"*\"]\n  http: [{route: [{destination: {host: r}}]}]\n", "spec.hosts[0]", "wildcard host * is not allowed" },
        { "route without destination host", Vs + "spec:\n  hosts: [r]\n  http: [{route: [{destination: {subset: v1}}]}]\n", "spec.http[0].route[0].destination.host", "missing destination host" },
        { "http route without route", Vs + "spec:\n  hosts: [r]\n  http: [{name: x}]\n", "spec.http[0].route", "an HTTP route needs a route" },

        { "gateway name with dots", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: my.gw}\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n", "metadata.name", "invalid gateway name \"my.gw\"" },
        { "gateway port without name", Gw + "spec:\n  servers:\n  - port: {number: 80, protocol: HTTP}\n    hosts: [\"*\"]\n", "spec.servers[0].port.name", "port name must be set" },
        { "tls on a tcp server", Gw + "spec:\n  servers:\n  - port: {number: 31400, name: tcp, protocol: TCP}\n    hosts: [\"*\"]\n    tls: {mode: SIMPLE, credentialName: c}\n", "spec.servers[0].tls", "a TCP server cannot have TLS settings" },
        { "terminating tls on plain http", Gw + "spec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n    tls: {mode: SIMPLE, credentialName: c}\n", "spec.servers[0].tls", "a plain-text HTTP server cannot have TLS settings" },

        { "https server without a certificate", Gw + "spec:\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*\"]\n    tls: {mode: SIMPLE}\n", "spec.servers[0].tls", "SIMPLE TLS requires a server certificate" },
        { "destination rule host with a scheme", Dr + "spec:\n  host: http://reviews\n", "spec.host", "invalid host \"http://reviews\"" },
        { "virtual service host with a wildcard in the middle", Vs + "spec:\n  hosts: [\"reviews.*.svc\"]\n  http: [{route: [{destination: {host: r}}]}]\n", "spec.hosts[0]", "invalid host" },

        // Service
        { "several ports without names", Svc + "spec:\n  ports: [{port: 80}, {port: 81, name: b}]\n", "spec.ports[0].name", "a port name is required" },
        { "port out of range", Svc + "spec:\n  ports: [{port: 70000}]\n", "spec.ports[0].port", "70000 is out of range" },
        { "no ports", Svc + "spec:\n  selector: {app: a}\n", "spec.ports", "missing spec.ports" },
        { "bad protocol", Svc + "spec:\n  ports: [{port: 80, protocol: tcp}]\n", "spec.ports[0].protocol", "invalid value \"tcp\"" },
        { "bad target port name", Svc + "spec:\n  ports: [{port: 80, targetPort: http_web}]\n", "spec.ports[0].targetPort", "invalid target port name" },
        { "service name must start with a letter", "apiVersion: v1\nkind: Service\nmetadata: {name: 1svc}\nspec:\n  ports: [{port: 80}]\n", "metadata.name", "invalid name \"1svc\"" },

        // Deployment
        { "selector does not match template", Deploy + "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: a, image: x}]}\n", "spec.template.metadata.labels", "selector does not match template labels" },
        { "no selector", Deploy + "spec:\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: a, image: x}]}\n", "spec.selector", "missing spec.selector.matchLabels" },
        { "no containers", Deploy + "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: []}\n", "spec.template.spec.containers", "missing containers" },
        { "duplicate container names", Deploy + "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: a, image: x}, {name: a, image: y}]}\n", "spec.template.spec.containers[1].name", "duplicate container name" },
        { "container port out of range", Deploy + "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: a, image: x, ports: [{containerPort: 0}]}]}\n", "spec.template.spec.containers[0].ports[0].containerPort", "0 is out of range" },
        { "container port name too long", Deploy + "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: a, image: x, ports: [{containerPort: 80, name: http-web-frontend}]}]}\n", "spec.template.spec.containers[0].ports[0].name", "no more than 15 characters" },
        { "negative replicas", Deploy + "spec:\n  replicas: -1\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: a, image: x}]}\n", "spec.replicas", "must not be negative" },

        // Names and metadata
        { "upper case name", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: Sleep}\n", "metadata.name", "invalid name \"Sleep\"" },
        { "namespace with dots", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sleep, namespace: foo.bar}\n", "metadata.namespace", "invalid namespace \"foo.bar\"" },
        { "namespace name with dots", "apiVersion: v1\nkind: Namespace\nmetadata: {name: foo.bar}\n", "metadata.name", "invalid name \"foo.bar\"" },
        { "label key with two slashes", "apiVersion: v1\nkind: Namespace\nmetadata: {name: foo, labels: {\"a/b/c\": x}}\n", "metadata.labels[a/b/c]", "invalid key \"a/b/c\"" },
        { "bad timestamp", "apiVersion: v1\nkind: Namespace\nmetadata: {name: foo, creationTimestamp: yesterday}\n", "metadata.creationTimestamp", "invalid timestamp" },
        { "config map key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {\"a b\": x}\n", "data[a b]", "invalid key \"a b\"" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_is_enforced_with_one_error_at_the_field(string rule, string manifest, string path, string message)
    {
        var result = ManifestReader.Read(manifest, "rules.yaml");
        var error = Assert.Single(result.Errors);
        Assert.True(path == error.Path && error.Message.Contains(message, StringComparison.Ordinal),
            $"{rule}: expected {path}: {message}\nactual: {error}");
        Assert.Empty(result.Resources);
    }

    public static TheoryData<string, string> ValidManifests() => new()
    {
        { "DENY with an empty rule denies all", Ap + "spec:\n  action: DENY\n  rules: [{}]\n" },
        { "allow-nothing", Ap + "spec: {}\n" },
        { "CUSTOM with provider", Ap + "spec:\n  action: CUSTOM\n  provider: {name: opa}\n  rules: [{to: [{operation: {paths: [/admin]}}]}]\n" },
        { "every when key family", Ap + "spec:\n  rules:\n  - when:\n    - {key: \"request.headers[x-token]\", values: [a]}\n    - {key: \"request.auth.claims[groups][admin]\", values: [a]}\n    - {key: source.ip, values: [10.0.0.0/8]}\n    - {key: destination.port, notValues: [\"22\"]}\n    - {key: \"experimental.envoy.filters.network.mysql_proxy[db.table]\", values: [a]}\n" },
        { "ip blocks with host bits", Ap + "spec:\n  rules:\n  - from:\n    - source: {ipBlocks: [\"10.1.2.3/8\", \"::1\", \"fd00::/8\"]}\n" },
        { "portLevelMtls with selector", Pa + "spec:\n  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n" },
        { "wildcard host on a gateway only", Vs + "spec:\n  hosts: [\"*\"]\n  gateways: [gateway]\n  http: [{route: [{destination: {host: r}}]}]\n" },
        { "MUTUAL with credentialName", Dr + "spec:\n  host: h\n  workloadSelector: {matchLabels: {app: a}}\n  trafficPolicy: {tls: {mode: MUTUAL, credentialName: client-cred}}\n" },
        { "wildcard and upper-case hosts", Vs + "spec:\n  hosts: [\"*.example.com\", Reviews.Default, 10.0.0.1]\n  http: [{route: [{destination: {host: r}}]}]\n" },
        { "headless service without ports", Svc + "spec:\n  clusterIP: None\n  selector: {app: a}\n" },
    };

    [Theory]
    [MemberData(nameof(ValidManifests))]
    public void Valid_manifest_has_no_errors(string name, string manifest)
    {
        var result = ManifestReader.Read(manifest, "ok.yaml");
        Assert.False(result.HasErrors, $"{name}:\n{TestRead.Dump(result)}");
        Assert.Single(result.Resources);
    }

    [Fact]
    public void Namespace_field_on_a_cluster_scoped_kind_is_a_warning_and_is_dropped()
    {
        var result = ManifestReader.Read("apiVersion: v1\nkind: Namespace\nmetadata: {name: foo, namespace: bar}\n", "ns.yaml");
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("metadata.namespace", warning.Path);
        Assert.Null(Assert.Single(result.Resources).Metadata.Namespace);
    }

    [Theory]
    [InlineData("DENY on methods only", "rules: [{to: [{operation: {methods: [GET]}}]}]", true)]
    [InlineData("DENY on request principals only", "rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]", true)]
    [InlineData("DENY on methods and a port", "rules: [{to: [{operation: {methods: [GET], ports: [\"8080\"]}}]}]", false)]
    [InlineData("DENY on principals", "rules: [{from: [{source: {notPrincipals: [\"*\"]}}]}]", false)]
    public void Deny_rule_with_only_http_attributes_warns_that_it_denies_all_tcp(string name, string rules, bool warns)
    {
        var result = ManifestReader.Read(Ap + "spec:\n  action: DENY\n  " + rules + "\n", "deny.yaml");
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.True(warns == result.Warnings.Any(w => w.Message.Contains("denies all traffic to TCP ports", StringComparison.Ordinal)), name);
    }

    [Fact]
    public void Virtual_service_without_hosts_is_a_delegate_that_is_accepted_with_a_warning()
    {
        var result = ManifestReader.Read(Vs + "spec:\n  http: [{route: [{destination: {host: r}}]}]\n", "vs.yaml");
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Equal("spec.hosts", Assert.Single(result.Warnings).Path);
    }

    [Fact]
    public void Istio_mutual_with_certificate_files_is_accepted_with_a_warning_that_they_are_ignored()
    {
        var result = ManifestReader.Read(Dr + "spec:\n  host: h\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL, clientCertificate: /c.pem}}\n", "dr.yaml");
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Contains("are ignored", Assert.Single(result.Warnings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Misspelt_condition_key_suggests_the_right_one_keeping_its_name()
    {
        var result = ManifestReader.Read(Ap + "spec:\n  rules:\n  - when:\n    - key: request.header[x-token]\n      values: [a]\n", "when.yaml");
        Assert.StartsWith("did you mean request.headers[x-token]?", Assert.Single(result.Errors).Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Misspelt_field_in_a_selector_is_one_error_without_an_empty_selector_warning()
    {
        var result = ManifestReader.Read(Pa + "spec:\n  selector:\n    matchLabel: {app: a}\n", "pa.yaml");
        Assert.Equal("spec.selector.matchLabel", Assert.Single(result.Diagnostics).Path);
    }
}
