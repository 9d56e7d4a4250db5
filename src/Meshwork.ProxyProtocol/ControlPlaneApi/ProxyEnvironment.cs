namespace Meshwork.ProxyProtocol.ControlPlaneApi;

/// <summary>
/// Environment variables with which the local runtime launches a proxy (`meshwork proxy`).
/// Command-line flags of the same meaning override them.
/// </summary>
public static class ProxyEnvironment
{
    /// <summary>https://host:port of the control plane, or of its replicas separated by commas (tried in order, the next when one goes away).</summary>
    public const string ControlPlane = "MESHWORK_CONTROL_PLANE";
    /// <summary>Path of the PEM root that the control plane's serving certificate chains to.</summary>
    public const string ControlPlaneRoot = "MESHWORK_CONTROL_PLANE_ROOT";
    /// <summary>Path of a file holding the one-time bootstrap token (preferred over the value itself).</summary>
    public const string BootstrapTokenFile = "MESHWORK_BOOTSTRAP_TOKEN_FILE";
    public const string BootstrapToken = "MESHWORK_BOOTSTRAP_TOKEN";
    /// <summary>sidecar | gateway | network</summary>
    public const string Role = "MESHWORK_PROXY_ROLE";
    /// <summary>Folder for cert-chain.pem, key.pem (0600) and root-cert.pem.</summary>
    public const string CertDirectory = "MESHWORK_CERT_DIR";
    /// <summary>Inbound map "workloadPort=appHost:appPort,..." (sidecar: podIP:workloadPort → the app).</summary>
    public const string InboundPorts = "MESHWORK_INBOUND_PORTS";
    /// <summary>host:port of the outbound HTTP proxy listener (the app's http_proxy); default podIP:15001.</summary>
    public const string OutboundAddress = "MESHWORK_OUTBOUND_ADDRESS";
    /// <summary>
    /// Fixed local listeners for upstream services, as Consul's upstreams: "listenIp:port=service.namespace:port,...".
    /// Every HTTP/1.1 request on such a listener goes to that service port whatever its Host header says.
    /// </summary>
    public const string OutboundFixed = "MESHWORK_OUTBOUND_FIXED";
    /// <summary>Role Gateway: "listenIp:port=gatewayPort,…", the listeners that serve the Gateway servers of each port.</summary>
    public const string GatewayPorts = "MESHWORK_GATEWAY_PORTS";
    /// <summary>"1" sends requests to mTLS endpoints over HTTP/2 (ALPN h2, one multiplexed connection per endpoint) instead of HTTP/1.1 keep-alive; off by default.</summary>
    public const string UpstreamHttp2 = "MESHWORK_UPSTREAM_HTTP2";
    /// <summary>"sslstream" carries mesh TLS on .NET's SslStream even over the proxy's own sockets (a fallback, and the baseline to measure against); default: OpenSSL directly on the socket.</summary>
    public const string MeshTlsEngine = "MESHWORK_MESH_TLS_ENGINE";
    /// <summary>host:port of the admin listener; default podIP:15000.</summary>
    public const string AdminAddress = "MESHWORK_ADMIN_ADDRESS";
    /// <summary>
    /// "iptables": the proxy runs in its pod's own network namespace, where iptables redirects the
    /// app's outbound TCP to the outbound listener and all inbound TCP to the inbound capture
    /// listener; the proxy finds each connection's original destination (SO_ORIGINAL_DST).
    /// Unset: no capture (loopback mode: apps reach the proxy through http_proxy).
    /// </summary>
    public const string Capture = "MESHWORK_CAPTURE";
    /// <summary>host:port of the inbound capture listener (Istio's 15006); default 0.0.0.0:15006 when capture is on.</summary>
    public const string InboundCaptureAddress = "MESHWORK_INBOUND_CAPTURE_ADDRESS";
    /// <summary>host:port of the read-only metrics listener (Istio's 15090: /stats/prometheus only); unset: none.</summary>
    public const string MetricsAddress = "MESHWORK_METRICS_ADDRESS";
    /// <summary>Most connections open at once on one listener (default 4096); the excess is reset at accept.</summary>
    public const string MaxConnections = "MESHWORK_PROXY_MAX_CONNECTIONS";
    /// <summary>Most inbound connections per port not yet through their TLS handshake and first request head (default 1024).</summary>
    public const string MaxPendingConnections = "MESHWORK_PROXY_MAX_PENDING_CONNECTIONS";
    /// <summary>Seconds a client has from a request head's first byte to its end before a 408 (default 10).</summary>
    public const string RequestHeadersTimeout = "MESHWORK_PROXY_REQUEST_HEADERS_TIMEOUT";
    /// <summary>Seconds a kept-alive downstream connection may idle between requests before it is closed (default 3600, Envoy's).</summary>
    public const string IdleTimeout = "MESHWORK_PROXY_IDLE_TIMEOUT";
    /// <summary>Longest snapshot line, in bytes, a proxy reads from the control plane (default 16 MiB); a longer one is NACKed unread.</summary>
    public const string MaxSnapshotBytes = "MESHWORK_PROXY_MAX_SNAPSHOT_BYTES";
    /// <summary>Optional path of a snapshot JSON file: run without a control plane (tests, benchmarks).</summary>
    public const string SnapshotFile = "MESHWORK_SNAPSHOT_FILE";
    /// <summary>Pod labels as JSON object.</summary>
    public const string PodLabels = "MESHWORK_POD_LABELS";
    public const string PodName = "POD_NAME";
    public const string PodNamespace = "POD_NAMESPACE";
    public const string PodIp = "POD_IP";
    public const string ServiceAccount = "SERVICE_ACCOUNT";
    public const string Workload = "MESHWORK_WORKLOAD";
}
