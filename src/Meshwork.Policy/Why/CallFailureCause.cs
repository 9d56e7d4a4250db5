namespace Meshwork.Policy.Why;

/// <summary>Why a call between two workloads fails, in the order a connection meets the causes.</summary>
public enum CallFailureCause
{
    /// <summary>Nothing in the policies or the proxies' state stops the call.</summary>
    None,
    /// <summary>The host (or its port) is no Service the client can resolve.</summary>
    NoService,
    /// <summary>The Service is outside the client sidecar's Sidecar scope: BlackHoleCluster (REGISTRY_ONLY) or plaintext passthrough (ALLOW_ANY).</summary>
    OutOfScope,
    /// <summary>A VirtualService routes the host and none of its routes matches the request (404, flag NR).</summary>
    NoRoute,
    /// <summary>The Service (or the chosen subset) has no endpoint to send the request to.</summary>
    NoEndpoint,
    /// <summary>The Service has endpoints but none is ready, or the client's sidecar answered 503 UH.</summary>
    NoHealthyUpstream,
    /// <summary>The client originates Istio mTLS towards an endpoint that has no sidecar to answer it.</summary>
    PeerNotMeshed,
    /// <summary>A plaintext client (no sidecar, or a DestinationRule that disables TLS) calls a STRICT port.</summary>
    StrictAgainstPlaintext,
    /// <summary>The client's TLS and the server port's mode cannot meet (mTLS to DISABLE, SIMPLE or MUTUAL to a sidecar).</summary>
    TlsModeMismatch,
    /// <summary>Secure naming: the server presents an identity the client does not accept for the host.</summary>
    IdentityMismatch,
    /// <summary>One side's certificate does not chain to the other side's trust bundle.</summary>
    UntrustedCertificate,
    /// <summary>One side's certificate has expired (or is not yet valid).</summary>
    ExpiredCertificate,
    /// <summary>The server's authorization policies deny the request.</summary>
    AuthorizationDenied,
    /// <summary>A proxy could not connect to its upstream: refused or reset during connect (503, flags UF, URX).</summary>
    UpstreamConnectFailure,
    /// <summary>The upstream reset the connection after it was made, before it answered (flag UC).</summary>
    UpstreamReset,
    /// <summary>The route's timeout passed before the upstream answered (504, flag UT).</summary>
    UpstreamTimeout,
    /// <summary>The client went away before the answer came (flag DC).</summary>
    DownstreamReset,
}

/// <summary>The stable words for a cause: the code of <c>x why -o json</c> and the title of its text output.</summary>
public static class CallFailureCauses
{
    public static string Code(CallFailureCause cause) => cause switch
    {
        CallFailureCause.NoService => "no-service",
        CallFailureCause.OutOfScope => "out-of-scope",
        CallFailureCause.NoHealthyUpstream => "no-healthy-upstream",
        CallFailureCause.UpstreamConnectFailure => "upstream-connect-failure",
        CallFailureCause.UpstreamReset => "upstream-reset",
        CallFailureCause.UpstreamTimeout => "upstream-timeout",
        CallFailureCause.DownstreamReset => "downstream-reset",
        CallFailureCause.NoRoute => "no-route",
        CallFailureCause.NoEndpoint => "no-endpoint",
        CallFailureCause.PeerNotMeshed => "peer-not-meshed",
        CallFailureCause.StrictAgainstPlaintext => "strict-against-plaintext",
        CallFailureCause.TlsModeMismatch => "tls-mode-mismatch",
        CallFailureCause.IdentityMismatch => "identity-mismatch",
        CallFailureCause.UntrustedCertificate => "untrusted-certificate",
        CallFailureCause.ExpiredCertificate => "expired-certificate",
        CallFailureCause.AuthorizationDenied => "authorization-denied",
        _ => "none",
    };

    public static string Title(CallFailureCause cause) => cause switch
    {
        CallFailureCause.NoService => "no such service",
        CallFailureCause.OutOfScope => "host outside the Sidecar's scope",
        CallFailureCause.NoHealthyUpstream => "no healthy upstream",
        CallFailureCause.UpstreamConnectFailure => "upstream connection failure",
        CallFailureCause.UpstreamReset => "upstream reset",
        CallFailureCause.UpstreamTimeout => "upstream timeout",
        CallFailureCause.DownstreamReset => "downstream reset",
        CallFailureCause.NoRoute => "no route (VirtualService)",
        CallFailureCause.NoEndpoint => "no endpoint",
        CallFailureCause.PeerNotMeshed => "peer not meshed",
        CallFailureCause.StrictAgainstPlaintext => "STRICT against plaintext",
        CallFailureCause.TlsModeMismatch => "TLS mode mismatch",
        CallFailureCause.IdentityMismatch => "identity mismatch (secure naming)",
        CallFailureCause.UntrustedCertificate => "untrusted certificate",
        CallFailureCause.ExpiredCertificate => "expired certificate",
        CallFailureCause.AuthorizationDenied => "authorization denied",
        _ => "no failure expected",
    };
}
