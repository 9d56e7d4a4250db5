namespace Meshwork.Proxy.Forwarding;

/// <summary>Where forwarding failed, as YARP's ForwarderError names stages.</summary>
internal enum UpstreamStage
{
    /// <summary>No route for the host or port (Envoy flag NR).</summary>
    NoRoute,
    /// <summary>A VirtualService routes the host and none of its routes matches the request (404, NR).</summary>
    NoMatchingRoute,
    /// <summary>The matched route names a destination (subset, port) the proxy has no cluster for (503, NC).</summary>
    NoCluster,
    /// <summary>The route has no ready endpoint (UH).</summary>
    NoHealthyUpstream,
    /// <summary>TCP connect failed (UF; URX after retries).</summary>
    Connect,
    /// <summary>The TLS handshake or secure-naming check failed (UF).</summary>
    Tls,
    /// <summary>The upstream closed or reset before sending response headers (UC).</summary>
    ResponseHeaders,
    /// <summary>The upstream failed while the response body was streaming.</summary>
    ResponseBody,
    /// <summary>The downstream client went away (DC).</summary>
    Downstream,
    /// <summary>The upstream did not answer in time.</summary>
    Timeout,
    /// <summary>The client's request was malformed past its head (a broken chunked body; DPE).</summary>
    DownstreamProtocolError,
    /// <summary>The upstream's response was malformed: bad head, ambiguous framing, broken chunked body (UPE).</summary>
    UpstreamProtocolError,
}

internal sealed class UpstreamException(UpstreamStage stage, string reason, Exception? inner = null, MeshTls.HandshakeFailure? tlsFailure = null) : Exception(reason, inner)
{
    public UpstreamStage Stage { get; } = stage;

    /// <summary>Why the handshake failed, at stage <see cref="UpstreamStage.Tls"/>.</summary>
    public MeshTls.HandshakeFailure? TlsFailure { get; } = tlsFailure;
}
