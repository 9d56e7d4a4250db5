using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>Typed readers for networking.istio.io (v1alpha3, v1beta1 and v1 share one schema).</summary>
internal static class NetworkingReaders
{
    public static readonly (string, ClientTlsMode)[] ClientTlsModes =
        [("DISABLE", ClientTlsMode.Disable), ("SIMPLE", ClientTlsMode.Simple), ("MUTUAL", ClientTlsMode.Mutual), ("ISTIO_MUTUAL", ClientTlsMode.IstioMutual)];

    public static readonly string[] ServerTlsModes = ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"];

    /// <summary>Istio's port numbers are uint32; protobuf JSON accepts them quoted too.</summary>
    private static int? PortNumber(MapReader m, string key) => m.Int(key, allowQuoted: true, min: 0, max: int.MaxValue);

    public static DestinationRule DestinationRule(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var spec = new DestinationRuleSpec
        {
            Host = m.String("host") ?? "",
            TrafficPolicy = TrafficPolicy(m.Map("trafficPolicy")),
            Subsets = m.Objects("subsets", Subset),
            ExportTo = m.Strings("exportTo"),
            WorkloadSelector = SecurityReaders.WorkloadSelector(m.Map("workloadSelector")),
        };
        m.Finish();
        top.Accept("status");
        return new DestinationRule { ApiVersion = apiVersion, Metadata = meta, Spec = spec };
    }

    /// <summary>A DestinationRule's or subset's traffic policy (a subset's may have port-level settings too).</summary>
    private static TrafficPolicy? TrafficPolicy(MapReader m)
    {
        if (!m.Present) return null;
        var policy = new TrafficPolicy
        {
            Tls = ClientTls(m.Map("tls")),
            PortLevelSettings = m.Objects("portLevelSettings", PortTrafficPolicy),
        };
        UnsupportedTrafficFields(m);
        m.Finish();
        return policy;
    }

    private static void UnsupportedTrafficFields(MapReader m) =>
        m.Unsupported("loadBalancer", "connectionPool", "outlierDetection", "tunnel", "proxyProtocol", "retryBudget");

    private static PortTrafficPolicy PortTrafficPolicy(MapReader m)
    {
        var port = m.Map("port");
        var number = PortNumber(port, "number");
        port.Finish();
        var policy = new PortTrafficPolicy { Port = number ?? 0, Tls = ClientTls(m.Map("tls")) };
        UnsupportedTrafficFields(m);
        m.Finish();
        return policy;
    }

    private static ClientTlsSettings? ClientTls(MapReader m)
    {
        if (!m.Present) return null;
        var tls = new ClientTlsSettings
        {
            Mode = m.Enum("mode", ClientTlsModes) ?? ClientTlsMode.Disable,
            ClientCertificate = m.String("clientCertificate"),
            PrivateKey = m.String("privateKey"),
            CaCertificates = m.String("caCertificates"),
            CredentialName = m.String("credentialName"),
            SubjectAltNames = m.Strings("subjectAltNames"),
            Sni = m.String("sni"),
            InsecureSkipVerify = m.Bool("insecureSkipVerify") ?? false,
        };
        m.Unsupported("caCrl");
        m.Finish();
        return tls;
    }

    private static Subset Subset(MapReader m)
    {
        var subset = new Subset
        {
            Name = m.String("name") ?? "",
            Labels = m.StringMap("labels"),
            TrafficPolicy = TrafficPolicy(m.Map("trafficPolicy")),
        };
        m.Finish();
        return subset;
    }

    public static Gateway Gateway(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var spec = new GatewaySpec
        {
            Selector = m.StringMap("selector"),
            Servers = m.Objects("servers", Server),
        };
        m.Finish();
        top.Accept("status");
        return new Gateway { ApiVersion = apiVersion, Metadata = meta, Spec = spec };
    }

    private static GatewayServer Server(MapReader m)
    {
        var p = m.Map("port");
        var port = new GatewayPort
        {
            Number = PortNumber(p, "number") ?? 0,
            Name = p.String("name"),
            Protocol = p.String("protocol") ?? "",
        };
        p.Unsupported("targetPort");
        p.Finish();
        var server = new GatewayServer { Port = port, Hosts = m.Strings("hosts"), Tls = ServerTls(m.Map("tls")) };
        m.Unsupported("bind", "defaultEndpoint");
        m.Accept("name");
        m.Finish();
        return server;
    }

    private static ServerTlsSettings? ServerTls(MapReader m)
    {
        if (!m.Present) return null;
        var tls = new ServerTlsSettings
        {
            // Istio's TLSmode enum starts at PASSTHROUGH (0): an omitted mode means PASSTHROUGH, not SIMPLE.
            Mode = m.EnumString("mode", ServerTlsModes) ?? "PASSTHROUGH",
            CredentialName = m.String("credentialName"),
            HttpsRedirect = m.Bool("httpsRedirect") ?? false,
        };
        m.Unsupported("serverCertificate", "privateKey", "caCertificates", "caCrl", "credentialNames", "tlsCertificates",
            "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash", "minProtocolVersion", "maxProtocolVersion", "cipherSuites");
        m.Finish();
        return tls;
    }

    public static VirtualService VirtualService(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var spec = new VirtualServiceSpec
        {
            Hosts = m.Strings("hosts"),
            Gateways = m.Strings("gateways"),
            Http = m.Objects("http", HttpRoute),
            Tcp = m.Objects("tcp", TcpRoute),
            ExportTo = m.Strings("exportTo"),
        };
        m.Unsupported("tls");
        m.Finish();
        top.Accept("status");
        return new VirtualService { ApiVersion = apiVersion, Metadata = meta, Spec = spec };
    }

    private static HttpRoute HttpRoute(MapReader m)
    {
        var route = new HttpRoute
        {
            Name = m.String("name"),
            Match = m.Objects("match", HttpMatch),
            Route = m.Objects("route", Weighted),
            Rewrite = Rewrite(m.Map("rewrite")),
            Timeout = DurationReader.Read(m, "timeout"),
            Retries = Retries(m.Map("retries")),
            Headers = Headers(m.Map("headers")),
            Fault = Fault(m.Map("fault")),
        };
        m.Unsupported("redirect", "directResponse", "delegate", "mirror", "mirrors",
            "mirrorPercentage", "mirrorPercent", "mirror_percent", "corsPolicy");
        m.Finish();
        return route;
    }

    private static HttpRewrite? Rewrite(MapReader m)
    {
        if (!m.Present) return null;
        var rewrite = new HttpRewrite { Uri = m.String("uri"), Authority = m.String("authority") };
        m.Unsupported("uriRegexRewrite");
        m.Finish();
        return rewrite;
    }

    private static HttpRetry? Retries(MapReader m)
    {
        if (!m.Present) return null;
        var retry = new HttpRetry
        {
            Attempts = m.Int("attempts", allowQuoted: true, min: 0, max: 100) ?? 0,
            PerTryTimeout = DurationReader.Read(m, "perTryTimeout"),
            RetryOn = m.String("retryOn"),
        };
        if (retry.PerTryTimeout is { } perTry && perTry < TimeSpan.FromMilliseconds(1))
            m.Context.Error(m.Child("perTryTimeout"), "perTryTimeout must be at least 1ms", "perTryTimeout: 2s");
        if (retry.RetryOn is { } retryOn && !RetryOnConditions.TryParse(retryOn, out _, out _, out var error))
            m.Context.Error(m.Child("retryOn"), error!, $"a comma-separated list of {string.Join(", ", RetryOnConditions.Supported)} and status codes (503)");
        // Meshwork retries on another endpoint when there is one (Istio's previous-hosts predicate) and at once, without backoff.
        m.UnsupportedBecause("backoff", "retries go out at once");
        m.Unsupported("retryRemoteLocalities", "retryIgnorePreviousHosts");
        m.Finish();
        return retry;
    }

    private static HttpFault? Fault(MapReader m)
    {
        if (!m.Present) return null;
        var fault = new HttpFault { Delay = Delay(m.Map("delay")), Abort = Abort(m.Map("abort")) };
        m.Finish();
        return fault;
    }

    private static FaultDelay? Delay(MapReader m)
    {
        if (!m.Present) return null;
        var delay = new FaultDelay { FixedDelay = DurationReader.Read(m, "fixedDelay") ?? TimeSpan.Zero, Percentage = Percentage(m) };
        m.UnsupportedBecause("exponentialDelay", "only fixedDelay is injected");
        m.Finish();
        return delay;
    }

    private static FaultAbort? Abort(MapReader m)
    {
        if (!m.Present) return null;
        var abort = new FaultAbort { HttpStatus = m.Int("httpStatus", min: 0, max: 999) ?? 0, Percentage = Percentage(m) };
        m.UnsupportedBecause("grpcStatus", "only httpStatus aborts are injected");
        m.UnsupportedBecause("http2Error", "only httpStatus aborts are injected");
        m.Finish();
        return abort;
    }

    /// <summary>percentage.value (0–100, a fraction allowed), or the deprecated integer percent; all requests when neither is set, as in Istio.</summary>
    private static double Percentage(MapReader m)
    {
        var legacy = m.Int("percent", min: 0, max: 100);
        var p = m.Map("percentage");
        if (!p.Present) return legacy ?? 100;
        double value = 100;
        // A number in the document (10, 12.5) or a quoted one: the scalar's text either way.
        if (p.Raw("value") is { } node)
        {
            var text = node is ScalarNode scalar ? scalar.Value : "";
            if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value) || double.IsNaN(value) || value is < 0 or > 100)
            {
                m.Context.Error(p.Child("value"), $"\"{text}\" is not a percentage from 0 to 100", "percentage: {value: 10}");
                value = 0;
            }
        }
        p.Finish();
        return value;
    }

    private static HttpHeaders? Headers(MapReader m)
    {
        if (!m.Present) return null;
        var headers = new HttpHeaders { Request = HeaderOperations(m.Map("request")), Response = HeaderOperations(m.Map("response")) };
        m.Finish();
        return headers;
    }

    private static HeaderOperations? HeaderOperations(MapReader m)
    {
        if (!m.Present) return null;
        var operations = new HeaderOperations { Set = m.StringMap("set"), Add = m.StringMap("add"), Remove = m.Strings("remove") };
        m.Finish();
        return operations;
    }

    /// <summary>A map of name to StringMatch (headers, queryParams), each kept as "kind:value".</summary>
    private static ImmutableSortedDictionary<string, string> StringMatches(MapReader m, string key)
    {
        var matches = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var map = m.Map(key);
        if (map.Node is { } node)
        {
            foreach (var (name, _) in node.Entries)
            {
                if (StringMatch(map, name.Value) is { } match) matches[name.Value] = match;
            }
        }
        return matches.ToImmutable();
    }

    private static HttpMatch HttpMatch(MapReader m)
    {
        var match = new HttpMatch
        {
            Uri = StringMatch(m, "uri"),
            Method = StringMatch(m, "method"),
            Headers = StringMatches(m, "headers"),
            Port = PortNumber(m, "port"),
            Gateways = m.Strings("gateways"),
            QueryParams = StringMatches(m, "queryParams"),
        };
        m.Unsupported("scheme", "authority", "ignoreUriCase", "withoutHeaders", "sourceLabels", "sourceNamespace", "statPrefix");
        m.Accept("name");
        m.Finish();
        return match;
    }

    /// <summary>Istio's StringMatch (one of exact, prefix, regex), kept as "kind:value".</summary>
    private static string? StringMatch(MapReader parent, string key)
    {
        var m = parent.Map(key);
        if (!m.Present) return null;
        string? result = null;
        var count = 0;
        foreach (var kind in (string[])["exact", "prefix", "regex"])
        {
            if (m.String(kind) is { } value)
            {
                count++;
                result ??= $"{kind}:{value}";
            }
        }
        if (count > 1) m.Context.Error(m.Path, "set only one of exact, prefix or regex");
        m.Finish();
        return result;
    }

    private static WeightedDestination Weighted(MapReader m)
    {
        var d = m.Map("destination");
        var p = d.Map("port");
        var port = PortNumber(p, "number");
        p.Finish();
        var destination = new RouteDestination { Host = d.String("host") ?? "", Subset = d.String("subset"), Port = port };
        d.Finish();
        var weighted = new WeightedDestination { Destination = destination, Weight = m.Int("weight", allowQuoted: true) ?? 0 };
        m.Unsupported("headers");
        m.Finish();
        return weighted;
    }

    private static TcpRoute TcpRoute(MapReader m)
    {
        var route = new TcpRoute { Match = m.Objects("match", L4Match), Route = m.Objects("route", Weighted) };
        m.Finish();
        return route;
    }

    private static L4Match L4Match(MapReader m)
    {
        var match = new L4Match { Port = PortNumber(m, "port") };
        m.Unsupported("destinationSubnets", "sourceLabels", "gateways", "sourceNamespace", "sourceSubnet");
        m.Finish();
        return match;
    }
}
