using System.Text;

namespace Meshwork.Proxy.Metrics;

/// <summary>
/// The per-connection part of Istio's standard labels (everything but response_code and
/// response_flags). Built once per connection, interned by <see cref="ProxyMetrics"/>, so that the
/// per-request path only looks up a small struct key.
/// </summary>
internal sealed record MetricLabels
{
    public const string Unknown = "unknown";

    public required string Reporter { get; init; }                 // source | destination
    public string SourceWorkload { get; init; } = Unknown;
    public string SourceCanonicalService { get; init; } = Unknown;
    public string SourceCanonicalRevision { get; init; } = "latest";
    public string SourceWorkloadNamespace { get; init; } = Unknown;
    public string SourcePrincipal { get; init; } = Unknown;
    public string SourceApp { get; init; } = Unknown;
    public string SourceVersion { get; init; } = Unknown;
    public string SourceCluster { get; init; } = "Kubernetes";
    public string DestinationWorkload { get; init; } = Unknown;
    public string DestinationWorkloadNamespace { get; init; } = Unknown;
    public string DestinationPrincipal { get; init; } = Unknown;
    public string DestinationApp { get; init; } = Unknown;
    public string DestinationVersion { get; init; } = Unknown;
    public string DestinationService { get; init; } = Unknown;
    public string DestinationCanonicalService { get; init; } = Unknown;
    public string DestinationCanonicalRevision { get; init; } = "latest";
    public string DestinationServiceName { get; init; } = Unknown;
    public string DestinationServiceNamespace { get; init; } = Unknown;
    public string DestinationCluster { get; init; } = "Kubernetes";
    public required string RequestProtocol { get; init; }          // http | grpc | tcp
    public required string ConnectionSecurityPolicy { get; init; } // mutual_tls | none | unknown

    /// <summary>The labels up to and including request_protocol, in Istio's order, as Prometheus text.</summary>
    public string RenderPrefix()
    {
        var b = new StringBuilder(512);
        void Add(string name, string value)
        {
            if (b.Length > 0) b.Append(',');
            b.AppendLabel(name, value);
        }
        Add("reporter", Reporter);
        Add("source_workload", SourceWorkload);
        Add("source_canonical_service", SourceCanonicalService);
        Add("source_canonical_revision", SourceCanonicalRevision);
        Add("source_workload_namespace", SourceWorkloadNamespace);
        Add("source_principal", SourcePrincipal);
        Add("source_app", SourceApp);
        Add("source_version", SourceVersion);
        Add("source_cluster", SourceCluster);
        Add("destination_workload", DestinationWorkload);
        Add("destination_workload_namespace", DestinationWorkloadNamespace);
        Add("destination_principal", DestinationPrincipal);
        Add("destination_app", DestinationApp);
        Add("destination_version", DestinationVersion);
        Add("destination_service", DestinationService);
        Add("destination_canonical_service", DestinationCanonicalService);
        Add("destination_canonical_revision", DestinationCanonicalRevision);
        Add("destination_service_name", DestinationServiceName);
        Add("destination_service_namespace", DestinationServiceNamespace);
        Add("destination_cluster", DestinationCluster);
        Add("request_protocol", RequestProtocol);
        return b.ToString();
    }
}

/// <summary>Envoy's response flags that Meshwork sets.</summary>
internal static class ResponseFlags
{
    public const string None = "-";
    /// <summary>No route: unknown host or port.</summary>
    public const string NoRoute = "NR";
    /// <summary>The route names a cluster the proxy does not have (an undefined subset, say).</summary>
    public const string NoClusterFound = "NC";
    /// <summary>The route's timeout passed before the upstream answered.</summary>
    public const string UpstreamRequestTimeout = "UT";
    /// <summary>Upstream connection failure (including a failed TLS handshake).</summary>
    public const string UpstreamConnectionFailure = "UF";
    /// <summary>Upstream connection termination (reset after connect).</summary>
    public const string UpstreamConnectionTermination = "UC";
    /// <summary>No healthy upstream.</summary>
    public const string NoHealthyUpstream = "UH";
    /// <summary>Upstream retry limit exceeded.</summary>
    public const string UpstreamRetryLimitExceeded = "URX";
    /// <summary>Downstream connection termination.</summary>
    public const string DownstreamConnectionTermination = "DC";
    /// <summary>The downstream request had an HTTP protocol error.</summary>
    public const string DownstreamProtocolError = "DPE";
    /// <summary>The upstream response had an HTTP protocol error.</summary>
    public const string UpstreamProtocolError = "UPE";
    /// <summary>Denied by authorization policy.</summary>
    public const string UnauthorizedExternalService = "UAEX";
    public const string RbacDenied = "-";
}
